//! Version: what software the device runs (`GET /mgmt/tm/sys/version`).

use leptos::prelude::*;
use shared::bigip::{self, parse_version};

use crate::api::ApiError;
use crate::console::use_console;

#[component]
pub fn VersionPage() -> impl IntoView {
    let console = use_console();
    let version = LocalResource::new(move || async move {
        let reply = console.call("GET", bigip::VERSION_PATH, None).await?;
        parse_version(&reply.body).map_err(|e| ApiError::Unexpected(e.to_string()))
    });

    view! {
        <section class="card version">
            <h2>"Version"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading the version…"</p> }>
                {move || Suspend::new(async move {
                    match version.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(info) => {
                            let rows = [
                                ("Product", info.product),
                                ("Version", info.version),
                                ("Build", info.build),
                                ("Edition", info.edition),
                                ("Date", info.date),
                                ("Title", info.title),
                            ];
                            let hotfixes = info.hotfixes;
                            view! {
                                <table id="version-table" class="kv">
                                    <tbody>
                                        {rows.into_iter().map(|(name, value)| view! {
                                            <tr><th scope="row">{name}</th><td>{value}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <h3>"Hotfixes"</h3>
                                {if hotfixes.is_empty() {
                                    view! { <p class="muted">"No hotfixes installed."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="hotfixes">
                                            {hotfixes.into_iter().map(|h| view! { <li><code>{h}</code></li> }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
