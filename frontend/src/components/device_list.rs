//! The relay's inventory, as a list to pick from.

use leptos::prelude::*;
use shared::device::{DeviceSummary, TrustSummary};

use crate::api::ApiError;
use crate::console::use_console;

#[component]
pub fn DeviceList(devices: LocalResource<Result<Vec<DeviceSummary>, ApiError>>) -> impl IntoView {
    let console = use_console();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading inventory…"</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted">"The relay's inventory is empty. Add devices to its configuration."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="devices">
                            {list.into_iter().map(|device| {
                                let id = device.id.clone();
                                let is_selected = {
                                    let id = id.clone();
                                    move || console.device.with(|s| s.as_ref().is_some_and(|d| d.id == id))
                                };
                                let trust = match &device.trust {
                                    TrustSummary::Pin { .. } => ("pinned", "trust pinned"),
                                    TrustSummary::Ca => ("CA", "trust ca"),
                                    TrustSummary::Insecure => ("INSECURE", "trust insecure"),
                                };
                                let title = match &device.trust {
                                    TrustSummary::Pin { fingerprint } => format!("Certificate pinned: {fingerprint}"),
                                    TrustSummary::Ca => "Certificate verified against a CA".to_string(),
                                    TrustSummary::Insecure => "Certificate checks are OFF for this device".to_string(),
                                };
                                let pick = device.clone();
                                view! {
                                    <li>
                                        <button
                                            class="device"
                                            class:selected=is_selected
                                            data-device=id
                                            on:click=move |_| console.select_device(pick.clone())
                                        >
                                            <span class="device-name">{device.name.clone()}</span>
                                            <span class="device-meta">
                                                {device.kind.label()}
                                                <span class=trust.1 title=title>{trust.0}</span>
                                            </span>
                                            <span class="device-url">{device.base_url.clone()}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
