//! What the console remembers. Local storage (every tab, across visits): preferences, and per
//! device the last username, login provider, FMC domain and the ad-hoc devices added — never a
//! secret. Session storage (this tab only, across a reload): the relay's access key and the
//! signed-in sessions' tokens — never a password.

use serde::Serialize;
use serde::de::DeserializeOwned;

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn tab() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn get(storage: Option<web_sys::Storage>, key: &str) -> Option<String> {
    storage?.get_item(key).ok()?
}

fn set(storage: Option<web_sys::Storage>, key: &str, value: &str) {
    if let Some(storage) = storage {
        let _ = storage.set_item(key, value);
    }
}

fn remove(storage: Option<web_sys::Storage>, key: &str) {
    if let Some(storage) = storage {
        let _ = storage.remove_item(key);
    }
}

/// Where a value lives.
#[derive(Clone, Copy)]
pub enum Scope {
    /// Every tab, across visits (no secrets).
    Local,
    /// This tab only, across a reload.
    Tab,
}

fn storage(scope: Scope) -> Option<web_sys::Storage> {
    match scope {
        Scope::Local => local(),
        Scope::Tab => tab(),
    }
}

pub fn load_text(scope: Scope, key: &str) -> Option<String> {
    get(storage(scope), key).filter(|v| !v.is_empty())
}

pub fn save_text(scope: Scope, key: &str, value: &str) {
    set(storage(scope), key, value);
}

pub fn forget(scope: Scope, key: &str) {
    remove(storage(scope), key);
}

pub fn load<T: DeserializeOwned>(scope: Scope, key: &str) -> Option<T> {
    serde_json::from_str(&load_text(scope, key)?).ok()
}

pub fn save<T: Serialize>(scope: Scope, key: &str, value: &T) {
    if let Ok(json) = serde_json::to_string(value) {
        save_text(scope, key, &json);
    }
}

/// `tokendeck.<what>.<device>`.
pub fn device_key(what: &str, device_id: &str) -> String {
    format!("tokendeck.{what}.{device_id}")
}

pub const SETTINGS: &str = "tokendeck.settings";
pub const ACCESS_KEY: &str = "tokendeck.access-key";
pub const AD_HOC: &str = "tokendeck.ad-hoc";
pub const LAST_DEVICE: &str = "tokendeck.last-device";
