//! One row of the node table: the chosen columns, and enable/disable, force offline/release
//! and delete, applied at once or staged for a transaction.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::bigip::changes::{NodeChange, PendingChange, effective, stage};
use shared::devices::bigip::nodes::{Node, NodePath, cell_text, matches_filter};

use crate::components::say::Notice;
use crate::session::use_session;

#[component]
pub fn NodeRow(
    node: Node,
    path: NodePath,
    columns: Vec<&'static str>,
    filter: RwSignal<String>,
    staging: RwSignal<bool>,
    pending: RwSignal<Vec<PendingChange>>,
    on_changed: Callback<()>,
    notice: RwSignal<Option<Notice>>,
) -> impl IntoView {
    let session = use_session();
    let enabled = node.is_enabled().unwrap_or(true);
    let offline = node.is_forced_offline().unwrap_or(false);
    let row_error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let full_path = path.full_path();

    // (enabled, forced offline, delete staged) once the staged changes apply.
    let after = {
        let path = path.clone();
        Memo::new(move |_| pending.with(|p| effective(p, &path, enabled, offline)))
    };
    let staged = {
        let path = path.clone();
        Memo::new(move |_| pending.with(|p| p.iter().any(|c| c.node == path)))
    };
    let hidden = {
        let node = node.clone();
        move || !filter.with(|f| matches_filter(&node, f))
    };

    let apply = {
        let path = path.clone();
        Callback::new(move |change: NodeChange| {
            let change = PendingChange::new(path.clone(), change);
            if staging.get_untracked() {
                let restores = change.restores_device(enabled, offline, after.get_untracked().2);
                pending.update(|p| stage(p, change, restores));
                return;
            }
            busy.set(true);
            row_error.set(None);
            spawn_local(async move {
                let result = session.call(change.call()).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        confirming.set(false);
                        notice.set(Some(Ok(format!("{}: done.", change.describe()))));
                        on_changed.run(());
                    }
                    Err(err) => row_error.set(Some(err.to_string())),
                }
            });
        })
    };
    let on_delete = move |_| {
        if staging.get_untracked() {
            apply.run(NodeChange::Delete);
        } else {
            row_error.set(None);
            confirming.set(true);
        }
    };

    let name = node.name.clone().unwrap_or_default();
    let partition = path.partition.clone();
    let cells = columns
        .iter()
        .map(|key| view! { <td class=format!("col-{key}")>{cell_text(&node, key)}</td> })
        .collect_view();
    let confirm_label = format!("Delete {full_path}?");

    view! {
        <tr data-node=full_path.clone() class:hidden=hidden class:staged-delete=move || after.get().2>
            <td class="col-name">
                <span class="partition">{format!("/{partition}/")}</span>
                <strong>{name}</strong>
                {move || staged.get().then(|| view! { <span class="tag staged">"staged"</span> })}
            </td>
            {cells}
            <td class="actions">
                <div class="row-actions">
                    <button type="button" class="secondary small toggle-session" disabled=move || busy.get()
                        on:click=move |_| apply.run(NodeChange::Session { enabled: !after.get_untracked().0 })>
                        {move || if after.get().0 { "Disable" } else { "Enable" }}
                    </button>
                    <button type="button" class="secondary small toggle-state" disabled=move || busy.get()
                        on:click=move |_| apply.run(NodeChange::State { forced_offline: !after.get_untracked().1 })>
                        {move || if after.get().1 { "Release" } else { "Force offline" }}
                    </button>
                    <button type="button" class="secondary small danger delete" disabled=move || busy.get() on:click=on_delete>
                        {move || if after.get().2 { "Keep" } else { "Delete" }}
                    </button>
                </div>
                {move || confirming.get().then(|| view! {
                    <div class="row-confirm" role="alertdialog" aria-label=confirm_label.clone()>
                        <span>{confirm_label.clone()}</span>
                        <button type="button" class="primary danger small confirm-delete" disabled=move || busy.get()
                            on:click=move |_| apply.run(NodeChange::Delete)>"Delete"</button>
                        <button type="button" class="secondary small cancel-delete"
                            on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                })}
                {move || row_error.get().map(|e| view! { <p class="error small row-error" role="alert">{e}</p> })}
            </td>
        </tr>
    }
}
