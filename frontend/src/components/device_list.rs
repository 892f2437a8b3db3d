//! The relay's inventory, as a list to pick from.

use leptos::prelude::*;
use shared::wire::{DeviceSummary, TrustSummary};

use crate::api::{self, ApiError};
use crate::console::use_console;

#[component]
pub fn DeviceList(devices: LocalResource<Result<Vec<DeviceSummary>, ApiError>>) -> impl IntoView {
    let console = use_console();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading inventory…"</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Err(err) if err.needs_access_key() => view! {
                        <AccessKeyForm message=err.to_string() on_saved=Callback::new(move |_| devices.refetch()) />
                    }.into_any(),
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

/// The relay asks for its access key (it serves more than this machine): enter it once per tab.
#[component]
fn AccessKeyForm(message: String, on_saved: Callback<()>) -> impl IntoView {
    let key = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        api::set_access_key(key.get_untracked().trim());
        on_saved.run(());
    };
    view! {
        <form class="access-key" on:submit=submit>
            <p class="notice" role="alert">{message}</p>
            <label for="access-key">"Relay access key"</label>
            <input id="access-key" type="password" autocomplete="off" required bind:value=key />
            <p class="hint">"Ask the operator of this Tokendeck for it. It is kept in this tab only."</p>
            <button class="primary" id="access-key-save" type="submit">"Continue"</button>
        </form>
    }
}
