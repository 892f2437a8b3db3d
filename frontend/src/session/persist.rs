//! What a session keeps across a reload of this tab (session storage: never other tabs, never
//! after the tab closes) and what it remembers for good (local storage). Never a password: a
//! reload keeps the tokens, so no extra token is left on the device, and auto-renew that needs
//! the password waits until the user types it again.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::devices::Domain;
use shared::session::{DeviceClock, RenewalSettings, Session, Snapshot};

use super::{DeviceSession, Identity};
use crate::platform::storage::{self, Scope};

#[derive(Serialize, Deserialize)]
struct Kept {
    snapshot: Snapshot,
    identity: Option<Identity>,
    clock: DeviceClock,
    domains: Vec<(String, String)>,
    domain: Option<String>,
}

fn key(session: DeviceSession) -> String {
    storage::device_key("session", &session.id())
}

pub fn load_settings() -> RenewalSettings {
    storage::load(Scope::Local, storage::SETTINGS).unwrap_or_default()
}

pub fn save_settings(settings: &RenewalSettings) {
    storage::save(Scope::Local, storage::SETTINGS, settings);
}

/// Pick up the session this tab held before a reload, if any.
pub fn restore(session: DeviceSession) {
    let Some(kept) = storage::load::<Kept>(Scope::Tab, &key(session)) else {
        return;
    };
    let settings = session.machine.with_untracked(|m| m.settings.clone());
    session.machine.set(Session::restore(
        session.profile.rules,
        settings,
        kept.snapshot,
    ));
    session.identity.set(kept.identity);
    session.shell.update_value(|s| s.clock = kept.clock);
    session.domains.set(
        kept.domains
            .into_iter()
            .map(|(name, uuid)| Domain { name, uuid })
            .collect(),
    );
    session.domain.set(kept.domain);
}

/// Keep (or forget) the session for a reload of this tab.
pub fn save(session: DeviceSession) {
    let key = key(session);
    match session.machine.with_untracked(Session::snapshot) {
        Some(snapshot) => storage::save(
            Scope::Tab,
            &key,
            &Kept {
                snapshot,
                identity: session.identity.get_untracked(),
                clock: session.shell.with_value(|s| s.clock.clone()),
                domains: session.domains.with_untracked(|d| {
                    d.iter().map(|d| (d.name.clone(), d.uuid.clone())).collect()
                }),
                domain: session.domain.get_untracked(),
            },
        ),
        None => storage::forget(Scope::Tab, &key),
    }
}

/// The login provider last used on this device.
pub fn remembered_provider(device_id: &str) -> Option<String> {
    storage::load_text(Scope::Local, &storage::device_key("provider", device_id))
}

pub fn remember_login(device_id: &str, identity: &Identity) {
    storage::save_text(
        Scope::Local,
        &storage::device_key("username", device_id),
        &identity.username,
    );
    storage::save_text(
        Scope::Local,
        &storage::device_key("provider", device_id),
        &identity.provider,
    );
}

pub fn remembered_username(device_id: &str) -> Option<String> {
    storage::load_text(Scope::Local, &storage::device_key("username", device_id))
}

/// The domain this user last chose on this device.
pub fn remembered_domain(device_id: &str, user: &str) -> Option<String> {
    storage::load_text(
        Scope::Local,
        &storage::device_key("domain", &format!("{device_id}.{user}")),
    )
}

pub fn remember_domain(device_id: &str, user: &str, uuid: &str) {
    storage::save_text(
        Scope::Local,
        &storage::device_key("domain", &format!("{device_id}.{user}")),
        uuid,
    );
}
