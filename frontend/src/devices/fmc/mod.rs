//! FMC's pages: server version, domains, managed devices and host objects (paged, in the chosen
//! domain).

use leptos::prelude::*;
use shared::devices::fmc::{
    DEVICE_RECORDS, DOMAIN, DOMAIN_LIST, DOMAINS_PATH, HOSTS, SERVER_VERSION, SERVER_VERSION_PATH,
};
use shared::devices::scope::scoped_path;

use crate::pages::collection::{CollectionPage, FactsPage};
use crate::session::use_session;

pub fn page(slug: &str) -> Option<AnyView> {
    let session = use_session();
    let in_domain = move |rest: &'static str| {
        Signal::derive(move || session.scope_id().map(|id| scoped_path(&DOMAIN, &id, rest)))
    };
    Some(match slug {
        "version" => view! {
            <FactsPage title="Server version" id="server-version" path=SERVER_VERSION_PATH fields=SERVER_VERSION />
        }
        .into_any(),
        "domains" => view! {
            <CollectionPage title="Domains" id="domains"
                path=Signal::derive(|| Some(DOMAINS_PATH.to_string())) collection=&DOMAIN_LIST />
        }
        .into_any(),
        "devices" => view! {
            <CollectionPage title="Devices" id="device-records"
                path=in_domain("devices/devicerecords") collection=&DEVICE_RECORDS paged=true />
        }
        .into_any(),
        "hosts" => view! {
            <CollectionPage title="Host objects" id="hosts"
                path=in_domain("object/hosts") collection=&HOSTS paged=true />
        }
        .into_any(),
        _ => return None,
    })
}
