//! Version: what software the device runs (`GET /mgmt/tm/sys/version`).

use leptos::prelude::*;

use crate::api;
use crate::session::Session;

#[component]
pub fn VersionPage(session: RwSignal<Option<Session>>) -> impl IntoView {
    let target = move || {
        session.with(|s| {
            s.as_ref()
                .map(|s| (s.device.id.clone(), s.lease.token.clone()))
        })
    };
    let version = LocalResource::new(move || {
        let target = target();
        async move {
            match target {
                Some((device, token)) => Some(api::bigip_version(&device, &token).await),
                None => None,
            }
        }
    });

    view! {
        <section class="card version">
            <h2>"Version"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading the version…"</p> }>
                {move || Suspend::new(async move {
                    match version.await {
                        None => view! { <p class="muted">"Log in to read the version."</p> }.into_any(),
                        Some(Err(err)) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Some(Ok(info)) => {
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
                                {(!hotfixes.is_empty()).then(|| view! {
                                    <h3>"Hotfixes"</h3>
                                    <ul class="hotfixes">
                                        {hotfixes.into_iter().map(|h| view! { <li><code>{h}</code></li> }).collect_view()}
                                    </ul>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
