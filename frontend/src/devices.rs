//! The pages only one kind of device has, one folder per kind, matched on the kind once.

mod bigip;
mod bigiq;
mod fmc;

use leptos::prelude::*;
use shared::wire::DeviceKind;

/// The view of this kind's page `slug`, if it has one.
pub fn page(kind: DeviceKind, slug: &str) -> Option<AnyView> {
    match kind {
        DeviceKind::Bigip => bigip::page(slug),
        DeviceKind::Bigiq => bigiq::page(slug),
        DeviceKind::Fmc => fmc::page(slug),
    }
}
