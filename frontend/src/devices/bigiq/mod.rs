//! BIG-IQ's pages: device info (with its version) and the BIG-IP devices it manages.

use leptos::prelude::*;
use shared::devices::bigiq::{
    DEVICE_INFO, DEVICE_INFO_PATH, MANAGED_DEVICES, MANAGED_DEVICES_PATH,
};

use crate::pages::collection::{CollectionPage, FactsPage};

pub fn page(slug: &str) -> Option<AnyView> {
    Some(match slug {
        "info" => view! {
            <FactsPage title="Device info" id="device-info" path=DEVICE_INFO_PATH fields=DEVICE_INFO />
        }
        .into_any(),
        "devices" => view! {
            <CollectionPage title="Managed BIG-IP devices" id="managed-devices"
                path=Signal::derive(|| Some(MANAGED_DEVICES_PATH.to_string())) collection=&MANAGED_DEVICES />
        }
        .into_any(),
        _ => return None,
    })
}
