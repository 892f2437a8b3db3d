//! Nodes: the LTM node list (`/mgmt/tm/ltm/node`) with a column chooser that drives `$select`,
//! a filter, enable/disable, force offline and delete per row, a create form, and a staging
//! mode that commits several changes at once as one transaction.

mod batch;
mod form;
mod row;

use leptos::prelude::*;
use shared::devices::bigip::changes::PendingChange;
use shared::devices::bigip::nodes::columns::{
    DEFAULT_COLUMNS, headings, list_path, parse_columns, toggle_column,
};
use shared::devices::bigip::nodes::{NODE_COLUMNS, Node, NodePath, matches_filter, read_node_list};
use shared::devices::{Call, Reply};

use crate::components::loaded::{Loaded, unexpected};
use crate::components::say::{Notice, outcome};
use crate::session::use_session;
use batch::PendingPanel;
use form::CreateNodeForm;
use row::NodeRow;

/// The nodes together with the columns they were read for.
#[derive(Clone, Debug, PartialEq)]
struct NodeTable {
    columns: Vec<&'static str>,
    nodes: Vec<(NodePath, Node)>,
}

/// Read a node list that was asked for with `columns`.
fn read(columns: Vec<&'static str>, body: &str) -> Result<NodeTable, String> {
    let nodes = read_node_list(body)?
        .into_iter()
        .filter_map(|node| Some((node.path()?, node)))
        .collect();
    Ok(NodeTable { columns, nodes })
}

#[component]
pub fn NodesPage() -> impl IntoView {
    let session = use_session();
    let reload = RwSignal::new(0u32);
    // What the user chose survives a page switch: it is kept with the device's session.
    let kept_columns = session.field("nodes.columns", &DEFAULT_COLUMNS.join(","));
    let columns = Signal::derive(move || parse_columns(&kept_columns.get()));
    let refresh = Callback::new(move |()| reload.update(|n| *n += 1));
    let filter = session.field("nodes.filter", "");
    let staging = RwSignal::new(false);
    let pending = RwSignal::new(Vec::<PendingChange>::new());
    let notice = RwSignal::new(None::<Notice>);
    let reading = RwSignal::new(false);
    let show_pending = move || staging.get() || pending.with(|p| !p.is_empty());
    let render =
        Callback::new(
            move |reply: Reply| match read(columns.get_untracked(), &reply.body) {
                Ok(table) => view! {
                    <NodeTableView table filter staging pending notice on_changed=refresh />
                }
                .into_any(),
                Err(err) => unexpected(err),
            },
        );

    view! {
        <section class="card nodes">
            <div class="card-head">
                <h2>"Nodes"</h2>
                <span class="head-status">
                    <span class="muted small" aria-live="polite">{move || reading.get().then_some("Reading…")}</span>
                    <button type="button" class="secondary" id="refresh-nodes" on:click=move |_| refresh.run(())>"Refresh"</button>
                </span>
            </div>
            {move || notice.get().map(|n| outcome(n, ("nodes-notice", "nodes-notice")))}
            <div class="node-toolbar">
                <label class="filter">
                    <span class="label">"Filter"</span>
                    <input type="search" id="node-filter" placeholder="name, address or partition"
                        bind:value=filter />
                </label>
                <ColumnChooser columns=kept_columns />
                <label class="check stage-toggle">
                    <input type="checkbox" id="stage-mode" bind:checked=staging />
                    "Stage changes, then commit them as one transaction"
                </label>
            </div>
            {move || show_pending().then(|| view! { <PendingPanel pending notice on_committed=refresh /> })}
            <Loaded request=Signal::derive(move || Some(Call::get(list_path(&columns.get())))) render reload pending=reading />
            <p class="hint">"Read with " <code id="node-select">{move || format!("GET {}", list_path(&columns.get()))}</code></p>
        </section>
        <CreateNodeForm on_created=refresh />
    }
}

/// Checkboxes over `NODE_COLUMNS`; the choice becomes the list's `$select`.
#[component]
fn ColumnChooser(columns: RwSignal<String>) -> impl IntoView {
    let toggle = move |key: &'static str, on: bool| {
        columns.update(|kept| *kept = toggle_column(kept, key, on));
    };
    let chosen = move || parse_columns(&columns.get());
    view! {
        <details class="column-chooser" id="column-chooser">
            <summary>{move || format!("Columns ({} of {})", chosen().len(), NODE_COLUMNS.len())}</summary>
            <fieldset>
                <legend class="sr-only">"Columns to read and show"</legend>
                {NODE_COLUMNS.iter().map(|(key, label)| {
                    let key: &'static str = key;
                    view! {
                        <label class="check">
                            <input type="checkbox" id=format!("column-{key}")
                                prop:checked=move || chosen().contains(&key)
                                on:change=move |ev| toggle(key, event_target_checked(&ev)) />
                            {*label}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <p class="hint">"Name and partition are always read, and so are Enabled and State: the row buttons need them."</p>
        </details>
    }
}

#[component]
fn NodeTableView(
    table: NodeTable,
    filter: RwSignal<String>,
    staging: RwSignal<bool>,
    pending: RwSignal<Vec<PendingChange>>,
    notice: RwSignal<Option<Notice>>,
    on_changed: Callback<()>,
) -> impl IntoView {
    if table.nodes.is_empty() {
        return view! {
            <p class="empty" id="nodes-empty">"This device has no nodes yet. Create the first one with the form below."</p>
        }
        .into_any();
    }
    let total = table.nodes.len();
    let all: Vec<Node> = table.nodes.iter().map(|(_, n)| n.clone()).collect();
    let shown =
        Memo::new(move |_| filter.with(|f| all.iter().filter(|n| matches_filter(n, f)).count()));
    let headings = headings(&table.columns);
    let columns = table.columns.clone();
    view! {
        <p class="muted small" id="node-count">
            {move || match shown.get() {
                n if n == total => format!("{total} node{}", if total == 1 { "" } else { "s" }),
                n => format!("{n} of {total} nodes match the filter"),
            }}
        </p>
        <div class="table-scroll">
            <table class="grid" id="node-table">
                <thead><tr>
                    <th scope="col">"Node"</th>
                    {headings.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {table.nodes.into_iter().map(|(path, node)| view! {
                        <NodeRow node path columns=columns.clone() filter staging pending on_changed notice />
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {move || (shown.get() == 0).then(|| view! {
            <p class="muted" id="nodes-no-match">{format!("No node matches \u{201c}{}\u{201d}.", filter.get().trim())}</p>
        })}
    }
    .into_any()
}
