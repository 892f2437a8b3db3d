//! The relay's inventory, as a list to pick from.

use leptos::prelude::*;
use shared::device::{DeviceSummary, TrustSummary};

use crate::api::ApiError;
use crate::session::Session;

#[component]
pub fn DeviceList(
    devices: LocalResource<Result<Vec<DeviceSummary>, ApiError>>,
    selected: RwSignal<Option<DeviceSummary>>,
    session: RwSignal<Option<Session>>,
) -> impl IntoView {
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
                                    move || selected.with(|s| s.as_ref().is_some_and(|d| d.id == id))
                                };
                                let trust = match &device.trust {
                                    TrustSummary::Pin { .. } => ("pinned", "trust pinned"),
                                    TrustSummary::Ca => ("CA", "trust ca"),
                                    TrustSummary::Insecure => ("INSECURE", "trust insecure"),
                                };
                                let pick = device.clone();
                                view! {
                                    <li>
                                        <button
                                            class="device"
                                            class:selected=is_selected
                                            data-device=id
                                            disabled=move || session.with(Option::is_some)
                                            on:click=move |_| selected.set(Some(pick.clone()))
                                        >
                                            <span class="device-name">{device.name.clone()}</span>
                                            <span class="device-meta">
                                                {device.kind.label()}
                                                <span class=trust.1 title=format!("{:?}", device.trust)>{trust.0}</span>
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
