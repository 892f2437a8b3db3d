//! One `[[devices]]` entry of `tokendeck.toml`, checked and turned into a [`DeviceConfig`]
//! with its trust policy.

use std::path::Path;

use reqwest::Url;
use serde::Deserialize;
use shared::wire::DeviceKind;

use crate::config::ConfigError;
use crate::inventory::DeviceConfig;
use crate::trust::TrustPolicy;

fn invalid(key: String, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFile {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub base_url: String,
    /// `"system"` or a PEM file (relative to the config file's folder).
    pub ca: Option<String>,
    /// `sha256:<hex>` of the leaf certificate or of its public key.
    pub pin: Option<String>,
    #[serde(default)]
    pub insecure: bool,
}

/// A device id is used in URL paths and environment variable names.
pub fn valid_device_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !id.starts_with('.')
}

/// Check a device base URL: https, a host, no credentials, no path, query or fragment.
pub fn device_base_url(raw: &str) -> Result<Url, String> {
    let url: Url = raw
        .parse()
        .map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    if url.scheme() != "https" {
        return Err(format!("{raw:?} must be an https:// URL"));
    }
    if url.host().is_none() {
        return Err(format!("{raw:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw:?} must not contain credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{raw:?} must be just scheme, host and port (no path, query or fragment)"
        ));
    }
    Ok(url)
}

pub(crate) fn device_config(d: DeviceFile, base: &Path) -> Result<DeviceConfig, ConfigError> {
    let key = |k: &str| format!("devices[{}].{k}", d.id);
    if !valid_device_id(&d.id) {
        return Err(invalid(
            key("id"),
            "use letters, digits, '-', '_' and '.' (at most 64)",
        ));
    }
    let base_url = device_base_url(&d.base_url).map_err(|m| invalid(key("base_url"), m))?;
    let chosen = [d.ca.is_some(), d.pin.is_some(), d.insecure]
        .iter()
        .filter(|x| **x)
        .count();
    if chosen > 1 {
        return Err(invalid(
            key("trust"),
            "choose one of ca, pin and insecure = true",
        ));
    }
    let trust = if d.insecure {
        TrustPolicy::Insecure
    } else if let Some(pin) = &d.pin {
        TrustPolicy::pin(pin).map_err(|e| invalid(key("pin"), e.to_string()))?
    } else {
        match d.ca.as_deref() {
            None | Some("system") => TrustPolicy::Ca { roots_pem: None },
            Some(file) => {
                let path = base.join(file);
                let pem = std::fs::read_to_string(&path)
                    .map_err(|e| invalid(key("ca"), format!("{}: {e}", path.display())))?;
                TrustPolicy::Ca {
                    roots_pem: Some(pem),
                }
            }
        }
    };
    Ok(DeviceConfig {
        id: d.id,
        name: d.name,
        kind: d.kind,
        base_url,
        trust,
    })
}
