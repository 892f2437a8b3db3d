//! BIG-IP's pages: tokens, LTM nodes, and the software version.

mod nodes;
mod tokens;

use leptos::prelude::*;
use shared::devices::Call;
use shared::devices::bigip::version::{VERSION_PATH, parse_version};

use crate::components::data_table::Facts;
use crate::components::loaded::{Loaded, unexpected};

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
    let render = Callback::new(
        |reply: shared::devices::Reply| match parse_version(&reply.body) {
            Ok(info) => view! { <Facts rows=info.facts() id="version-table" /> }.into_any(),
            Err(err) => unexpected(err),
        },
    );
    view! {
        <section class="card version">
            <h2>"Version"</h2>
            <Loaded request=Signal::derive(|| Some(Call::get(VERSION_PATH))) render />
        </section>
    }
}
