//! Creating a node: the form is checked with `NodeForm::validate` (each problem beside its
//! field), then POSTed; the device's refusal (409 duplicate, 400 address in use, …) is shown
//! under the form, and the typed values stay.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::Call;
use shared::devices::bigip::nodes::{
    DEFAULT_PARTITION, NODES_PATH, NodeFieldError, NodeForm, NodePath,
};

use crate::components::say::outcome;
use crate::session::use_session;

/// Monitors offered in the monitor field (any other name may be typed).
const MONITORS: [&str; 5] = ["default", "icmp", "gateway_icmp", "none", "tcp_echo"];

/// One labelled input; `key` is the `NodeFieldError::field` whose messages show beneath it.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    key: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Vec<NodeFieldError>>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] list: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// Spans the whole row of the form grid.
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let message = move || {
        errors.with(|errs| {
            let texts: Vec<String> = errs
                .iter()
                .filter(|e| e.field() == key)
                .map(ToString::to_string)
                .collect();
            (!texts.is_empty()).then(|| texts.join(" "))
        })
    };
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:wide=wide class:invalid=move || message().is_some()>
            <label for=id>{label}</label>
            <input type="text" id=id name=id bind:value=value placeholder=placeholder list=list
                inputmode=inputmode autocomplete="off"
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=error_id.clone() />
            {move || message().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

#[component]
pub fn CreateNodeForm(on_created: Callback<()>) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let partition = RwSignal::new(DEFAULT_PARTITION.to_string());
    let description = RwSignal::new(String::new());
    let ratio = RwSignal::new(String::new());
    let connection_limit = RwSignal::new(String::new());
    let monitor = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<NodeFieldError>::new());
    let result = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        result.set(None);
        let form = NodeForm {
            name: name.get_untracked(),
            address: address.get_untracked(),
            partition: partition.get_untracked(),
            description: description.get_untracked(),
            ratio: ratio.get_untracked(),
            connection_limit: connection_limit.get_untracked(),
            monitor: monitor.get_untracked(),
        };
        let node = match form.validate() {
            Ok(node) => node,
            Err(problems) => {
                errors.set(problems);
                return;
            }
        };
        errors.set(Vec::new());
        let label = NodePath {
            partition: node
                .partition
                .clone()
                .unwrap_or_else(|| DEFAULT_PARTITION.to_string()),
            name: node.name.clone().unwrap_or_default(),
        }
        .full_path();
        let call = match serde_json::to_value(&node) {
            Ok(body) => Call::new("POST", NODES_PATH).json(&body),
            Err(err) => {
                result.set(Some(Err(format!("Could not write the request: {err}"))));
                return;
            }
        };
        busy.set(true);
        spawn_local(async move {
            let reply = session.call(call).await;
            busy.set(false);
            match reply {
                Ok(_) => {
                    result.set(Some(Ok(format!("Created {label}."))));
                    name.set(String::new());
                    address.set(String::new());
                    description.set(String::new());
                    on_created.run(());
                }
                Err(err) => result.set(Some(Err(err.to_string()))),
            }
        });
    };

    view! {
        <section class="card node-create">
            <h2>"Create a node"</h2>
            <form class="node-form" id="node-form" on:submit=on_submit novalidate>
                <div class="form-grid">
                    <Field id="node-name" label="Name" key="name" value=name errors placeholder="web-01" />
                    <Field id="node-address" label="Address" key="address" value=address errors placeholder="10.0.0.10 or fe80::1%2" />
                    <Field id="node-partition" label="Partition" key="partition" value=partition errors placeholder="Common" />
                    <Field id="node-monitor" label="Monitor" key="monitor" value=monitor errors placeholder="default" list="node-monitors" />
                    <Field id="node-ratio" label="Ratio" key="ratio" value=ratio errors placeholder="1" inputmode="numeric" />
                    <Field id="node-connection-limit" label="Connection limit" key="connectionLimit" value=connection_limit errors placeholder="0 (no limit)" inputmode="numeric" />
                    <Field id="node-description" label="Description" key="description" value=description errors placeholder="optional" wide=true />
                </div>
                <datalist id="node-monitors">
                    {MONITORS.iter().map(|m| view! { <option value=*m></option> }).collect_view()}
                </datalist>
                <div class="form-actions">
                    <button type="submit" class="primary" id="create-node" disabled=move || busy.get()>
                        {move || if busy.get() { "Creating…" } else { "Create node" }}
                    </button>
                    <span class="hint">"Blank ratio, connection limit and monitor keep the device's defaults."</span>
                </div>
                {move || result.get().map(|o| outcome(o, ("node-form-success", "node-form-error")))}
            </form>
        </section>
    }
}
