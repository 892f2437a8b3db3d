//! What the console remembers across visits: preferences and the last username per device.
//! Never a password or a token.

use shared::lifecycle::RenewalSettings;

const SETTINGS_KEY: &str = "tokendeck.settings";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load_settings() -> RenewalSettings {
    local_storage()
        .and_then(|s| s.get_item(SETTINGS_KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

pub fn save_settings(settings: &RenewalSettings) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(settings)) {
        let _ = storage.set_item(SETTINGS_KEY, &json);
    }
}

fn username_key(device_id: &str) -> String {
    format!("tokendeck.username.{device_id}")
}

pub fn remember_username(device_id: &str, username: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&username_key(device_id), username);
    }
}

pub fn remembered_username(device_id: &str) -> Option<String> {
    local_storage()?.get_item(&username_key(device_id)).ok()?
}
