//! Activity: every call the console made to any device, newest first, with why it was made,
//! whether it waits (queued under a rate limit, or after a 429, with a countdown), where its
//! answer came from, and "copy as curl". A filter shows one device's calls.

use leptos::prelude::*;
use shared::curl::to_curl;

use crate::components::copy_button::CopyButton;
use crate::session::activity::{ActivityEntry, Origin};
use crate::session::{use_session, use_sessions};

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
    let sessions = use_sessions();
    let session = use_session();
    let reveal = RwSignal::new(false);
    let filter = session.field("activity.device", &session.id());
    let devices = move || sessions.devices.get();
    let shown = move || {
        let only = filter.get();
        sessions.hub.activity.with(|log| {
            log.iter()
                .filter(|e| only.is_empty() || e.device_id == only)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="card activity">
            <div class="card-head">
                <h2>"Activity"</h2>
                <label class="filter">
                    <span class="label">"Device"</span>
                    <select id="activity-device" bind:value=filter>
                        <option value="">"All devices"</option>
                        {move || devices().into_iter().map(|d| view! { <option value=d.id>{d.name}</option> }).collect_view()}
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" id="reveal-tokens" bind:checked=reveal />
                    "Show tokens in curl lines (passwords are never shown)"
                </label>
            </div>
            <table class="grid" id="activity-table">
                <thead><tr>
                    <th>"Time"</th><th>"Call"</th><th>"Status"</th><th>"Latency"</th><th>"From"</th><th></th>
                </tr></thead>
                <tbody>
                    <For each=shown key=|e| (e.id, e.status, e.waiting.is_some(), e.note.clone()) let:entry>
                        <ActivityRow entry reveal />
                    </For>
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn ActivityRow(entry: ActivityEntry, reveal: RwSignal<bool>) -> impl IntoView {
    let sessions = use_sessions();
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
    let waiting = entry.waiting.clone().map(|(why, until_ms)| {
        move || {
            let left = ((until_ms - sessions.hub.now.get() as f64 / 1000.0) / 1000.0)
                .ceil()
                .max(0.0) as u64;
            format!("{why} {left} s")
        }
    });
    view! {
        <tr data-device=entry.device_id.clone()>
            <td class="nowrap">{time_of(entry.started_ms)}</td>
            <td>
                <span class="muted small">{entry.device_name.clone()}</span> " "
                <code class="method">{entry.call.method.clone()}</code> " " <code>{entry.path.clone()}</code>
                {(!entry.purpose.label().is_empty()).then(|| view! { <span class="tag">{entry.purpose.label()}</span> })}
                {waiting.map(|w| view! { <span class="tag staged waiting">{w}</span> })}
                {entry.note.clone().map(|n| view! { <span class="note small">{n}</span> })}
                <details><summary>"curl"</summary><pre class="curl">{move || curl.get()}</pre></details>
            </td>
            <td class=status_class>{entry.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
            <td class="nowrap">{entry.latency_ms.map(|ms| format!("{} ms", ms as u64)).unwrap_or_default()}</td>
            <td><span class=origin_class>{origin}</span></td>
            <td><CopyButton text=curl label="copy as curl" /></td>
        </tr>
    }
}
