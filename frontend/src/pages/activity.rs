//! Activity: every call the console made, newest first, with "copy as curl".

use leptos::prelude::*;
use shared::curl::to_curl;

use crate::activity::{ActivityEntry, Origin};
use crate::components::copy_button::CopyButton;
use crate::console::use_console;

fn time_of(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let console = use_console();
    let reveal = RwSignal::new(false);
    view! {
        <section class="card activity">
            <div class="card-head">
                <h2>"Activity"</h2>
                <label class="check">
                    <input type="checkbox" id="reveal-tokens" bind:checked=reveal />
                    "Show tokens in curl lines (passwords are never shown)"
                </label>
            </div>
            {move || if console.activity.with(Vec::is_empty) {
                view! { <p class="muted">"No calls yet."</p> }.into_any()
            } else {
                view! {
                    <table class="grid" id="activity-table">
                        <thead><tr>
                            <th>"Time"</th><th>"Call"</th><th>"Status"</th><th>"Latency"</th><th>"From"</th><th></th>
                        </tr></thead>
                        <tbody>
                            <For each=move || console.activity.get() key=|e| (e.id, e.status) let:entry>
                                <ActivityRow entry reveal />
                            </For>
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ActivityRow(entry: ActivityEntry, reveal: RwSignal<bool>) -> impl IntoView {
    let call = entry.call.clone();
    let curl = Signal::derive(move || to_curl(&call, reveal.get()));
    let (origin, origin_class) = match entry.origin {
        Origin::Device => ("device", "origin device"),
        Origin::Relay => ("relay", "origin relay"),
        Origin::Network => ("no reply", "origin relay"),
        Origin::Pending => ("…", "origin"),
    };
    let status_class = match entry.status {
        Some(s) if s < 300 => "status ok",
        Some(s) if s < 500 => "status warn",
        Some(_) => "status bad",
        None => "status",
    };
    view! {
        <tr>
            <td class="nowrap">{time_of(entry.started_ms)}</td>
            <td>
                <code class="method">{entry.call.method.clone()}</code> " " <code>{entry.path.clone()}</code>
                {(!entry.purpose.label().is_empty()).then(|| view! { <span class="tag">{entry.purpose.label()}</span> })}
                <details><summary>"curl"</summary><pre class="curl">{move || curl.get()}</pre></details>
            </td>
            <td class=status_class>{entry.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
            <td class="nowrap">{entry.latency_ms.map(|ms| format!("{ms:.0} ms")).unwrap_or_default()}</td>
            <td><span class=origin_class>{origin}</span></td>
            <td><CopyButton text=curl label="copy as curl" /></td>
        </tr>
    }
}
