//! One `[[devices]]` entry of `tokendeck.toml`, checked and turned into a [`DeviceConfig`]
//! with its trust policy.

use std::path::Path;

use serde::Deserialize;
use shared::wire::DeviceKind;

use super::error::{ConfigError, invalid};
use crate::inventory::{BudgetSetting, DeviceConfig, device_base_url, valid_device_id};
use crate::trust::TrustPolicy;

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
    /// Users may pin the certificate this device presents (trust on first use), once. Only
    /// for a device without `ca`, `pin` or `insecure`.
    #[serde(default)]
    pub tofu: bool,
    /// The relay's budget for this device: requests a minute across all users (default: just
    /// under the device's own limit where its kind has one; `0` = none).
    pub requests_per_minute: Option<u32>,
    /// Calls in progress at once across all users (default likewise; `0` = none).
    pub concurrent_calls: Option<u32>,
}

/// The device, and the operator's budget setting for it (if any key of it is set).
pub(crate) fn device_config(
    d: DeviceFile,
    base: &Path,
) -> Result<(DeviceConfig, Option<BudgetSetting>), ConfigError> {
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
    if d.tofu && chosen > 0 {
        return Err(invalid(
            key("tofu"),
            "trust on first use is only for a device with no ca, pin or insecure of its own: \
             remove tofu = true, or remove the device's own trust setting",
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
    let budget = (d.requests_per_minute.is_some() || d.concurrent_calls.is_some()).then_some(
        BudgetSetting {
            per_minute: d.requests_per_minute,
            concurrent: d.concurrent_calls,
        },
    );
    let config = DeviceConfig {
        id: d.id,
        name: d.name,
        kind: d.kind,
        base_url,
        trust,
        tofu: d.tofu,
    };
    Ok((config, budget))
}
