//! What a session keeps across a reload of this tab (session storage: never other tabs, never
//! after the tab closes) and what it remembers for good (local storage). Never a password: a
//! reload keeps the tokens, so no extra token is left on the device, and auto-renew that needs
//! the password waits until the user types it again. Storage only: the device's session decides
//! what to keep and what to do with it.

use serde::{Deserialize, Serialize};
use shared::devices::Scope;
use shared::session::{DeviceClock, RenewalSettings, Snapshot};

use crate::platform::storage::{self, Scope as Storage};

/// Who is signed in (no secrets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub username: String,
    pub provider: String,
}

/// A signed-in session as this tab keeps it for a reload.
#[derive(Serialize, Deserialize)]
pub struct Kept {
    pub snapshot: Snapshot,
    pub identity: Option<Identity>,
    pub clock: DeviceClock,
    /// The scopes the login announced (name, id), and the one chosen.
    scopes: Vec<(String, String)>,
    pub scope: Option<String>,
}

impl Kept {
    pub fn new(
        snapshot: Snapshot,
        identity: Option<Identity>,
        clock: DeviceClock,
        scopes: &[Scope],
        scope: Option<String>,
    ) -> Self {
        Self {
            snapshot,
            identity,
            clock,
            scopes: scopes
                .iter()
                .map(|s| (s.name.clone(), s.id.clone()))
                .collect(),
            scope,
        }
    }

    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes
            .iter()
            .map(|(name, id)| Scope {
                name: name.clone(),
                id: id.clone(),
            })
            .collect()
    }
}

fn session_key(device_id: &str) -> String {
    storage::device_key("session", device_id)
}

/// The renewal settings, as the settings form would accept them.
pub fn load_settings() -> RenewalSettings {
    storage::load::<RenewalSettings>(Storage::Local, storage::SETTINGS)
        .unwrap_or_default()
        .checked()
}

pub fn save_settings(settings: &RenewalSettings) {
    storage::save(Storage::Local, storage::SETTINGS, settings);
}

/// The session this tab held on the device before a reload, if any.
pub fn kept(device_id: &str) -> Option<Kept> {
    storage::load(Storage::Tab, &session_key(device_id))
}

/// Keep (or, with `None`, forget) the device's session for a reload of this tab.
pub fn keep(device_id: &str, kept: Option<&Kept>) {
    let key = session_key(device_id);
    match kept {
        Some(kept) => storage::save(Storage::Tab, &key, kept),
        None => storage::forget(Storage::Tab, &key),
    }
}

/// The login provider last used on this device.
pub fn remembered_provider(device_id: &str) -> Option<String> {
    storage::load_text(Storage::Local, &storage::device_key("provider", device_id))
}

pub fn remember_login(device_id: &str, identity: &Identity) {
    storage::save_text(
        Storage::Local,
        &storage::device_key("username", device_id),
        &identity.username,
    );
    storage::save_text(
        Storage::Local,
        &storage::device_key("provider", device_id),
        &identity.provider,
    );
}

pub fn remembered_username(device_id: &str) -> Option<String> {
    storage::load_text(Storage::Local, &storage::device_key("username", device_id))
}

fn scope_key(device_id: &str, user: &str) -> String {
    storage::device_key("scope", &format!("{device_id}.{user}"))
}

/// The scope this user last chose on this device.
pub fn remembered_scope(device_id: &str, user: &str) -> Option<String> {
    storage::load_text(Storage::Local, &scope_key(device_id, user))
}

pub fn remember_scope(device_id: &str, user: &str, id: &str) {
    storage::save_text(Storage::Local, &scope_key(device_id, user), id);
}
