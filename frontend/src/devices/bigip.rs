//! BIG-IP's pages: tokens, LTM nodes, and the software version.

mod nodes;
mod tokens;

use leptos::prelude::*;
use shared::devices::Call;
use shared::devices::bigip::version::{VERSION_PATH, parse_version};

use crate::api::ApiError;
use crate::components::data_table::Facts;
use crate::session::use_session;

pub fn page(slug: &str) -> Option<AnyView> {
    Some(match slug {
        "tokens" => view! { <tokens::TokensPage /> }.into_any(),
        "nodes" => view! { <nodes::NodesPage /> }.into_any(),
        "version" => view! { <VersionPage /> }.into_any(),
        _ => return None,
    })
}

/// What software the device runs (`GET /mgmt/tm/sys/version`).
#[component]
fn VersionPage() -> impl IntoView {
    let session = use_session();
    let version = LocalResource::new(move || async move {
        let reply = session.call(Call::get(VERSION_PATH)).await?;
        parse_version(&reply.body).map_err(|e| ApiError::Unexpected(e.to_string()))
    });
    view! {
        <section class="card version">
            <h2>"Version"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading the version…"</p> }>
                {move || Suspend::new(async move {
                    match version.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(info) => view! { <Facts rows=info.facts() id="version-table" /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
