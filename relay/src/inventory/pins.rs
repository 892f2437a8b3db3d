//! Trust on first use: the only place its rules live. The pins themselves are kept in the
//! state file (`pin_file.rs`).
//!
//! The rules:
//! - a user may pin only a device the operator marked `tofu = true` (or an ad-hoc device), and
//!   only while `allow_tofu` (the operator's master switch) is on;
//! - never over an operator's CA, pin or `insecure` (such a device cannot be marked);
//! - once: a device a user pinned keeps that pin until the operator removes it from the state
//!   file;
//! - pin writes are serialised, so the pin in use is always the pin saved.

use std::sync::Mutex;

use super::device::{Device, DeviceConfig};
use super::error::InventoryError;
use super::pin_file::PinStore;
use crate::trust::TrustPolicy;

/// The trust-on-first-use rules over a pin store.
#[derive(Debug)]
pub struct Pins {
    store: PinStore,
    /// The operator's master switch (`allow_tofu`).
    allowed: bool,
    /// Held across a whole pin write (check, save, swap).
    writes: Mutex<()>,
}

impl Pins {
    pub fn new(store: PinStore, allowed: bool) -> Self {
        Self {
            store,
            allowed,
            writes: Mutex::new(()),
        }
    }

    pub fn allowed(&self) -> bool {
        self.allowed
    }

    /// Whether a user may pin `device` now.
    pub fn can_pin(&self, device: &Device) -> bool {
        self.allowed && device.config.tofu && !device.pinned_by_user
    }

    /// The policy a device is built with, and whether it is a user's pin: the stored pin for a
    /// device marked for trust on first use (while allowed), else the operator's policy.
    pub fn policy_for(&self, config: &DeviceConfig) -> (TrustPolicy, bool) {
        let Some(stored) = self.store.get(&config.id) else {
            return (config.trust.clone(), false);
        };
        if !(self.allowed && config.tofu) {
            tracing::warn!(
                device = %config.id,
                "ignoring the stored pin: the device is not open to trust on first use"
            );
            return (config.trust.clone(), false);
        }
        match TrustPolicy::pin(&stored) {
            Ok(pin) => (pin, true),
            Err(e) => {
                tracing::warn!(device = %config.id, "ignoring the stored pin: {e}");
                (config.trust.clone(), false)
            }
        }
    }

    /// Serialise pin writes: hold this from the check until the new device is in place.
    pub fn write_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a user pin `device` now? If not, why.
    pub fn check(&self, device: &Device) -> Result<(), InventoryError> {
        let id = device.config.id.clone();
        if !self.allowed {
            return Err(InventoryError::TofuDisabled(id));
        }
        if !device.config.tofu {
            return Err(InventoryError::NotTofu(id));
        }
        if let Some(existing) = self.store.get(&id).or_else(|| {
            device
                .pinned_by_user
                .then(|| device.trust.pinned())
                .flatten()
        }) {
            return Err(InventoryError::AlreadyPinned {
                id,
                fingerprint: existing,
            });
        }
        Ok(())
    }

    /// Save a checked pin (refused if one appeared meanwhile).
    pub fn save(&self, id: &str, fingerprint: &str) -> Result<(), InventoryError> {
        match self.store.set_if_absent(id, fingerprint)? {
            None => Ok(()),
            Some(existing) => Err(InventoryError::AlreadyPinned {
                id: id.to_owned(),
                fingerprint: existing,
            }),
        }
    }

    /// The stored pin of `id`.
    #[cfg(test)]
    pub fn stored(&self, id: &str) -> Option<String> {
        self.store.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use crate::inventory::{Inventory, InventoryOptions, Timeouts};

    fn tofu_inventory(pins: PinStore) -> Inventory {
        let config = DeviceConfig {
            id: "lab".into(),
            name: "Lab".into(),
            kind: shared::wire::DeviceKind::Bigip,
            base_url: "https://192.0.2.1".parse().unwrap(),
            trust: TrustPolicy::Ca { roots_pem: None },
            tofu: true,
        };
        let options = InventoryOptions {
            pins,
            ..Default::default()
        };
        Inventory::with_options(vec![config], Timeouts::default(), options).unwrap()
    }

    #[test]
    fn concurrent_pins_leave_the_pin_in_use_equal_to_the_pin_saved() {
        for round in 0..50 {
            let inventory = Arc::new(tofu_inventory(PinStore::in_memory()));
            let threads: Vec<_> = (0..6u8)
                .map(|n| {
                    let inventory = inventory.clone();
                    std::thread::spawn(move || {
                        let fingerprint = format!("sha256:{}", hex::encode([n; 32]));
                        inventory.pin("lab", &fingerprint).is_ok()
                    })
                })
                .collect();
            let won = threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .filter(|ok| *ok)
                .count();
            assert_eq!(won, 1, "round {round}: exactly one pin wins");
            let in_use = inventory.get("lab").unwrap();
            assert_eq!(
                in_use.trust.pinned(),
                inventory.pins.stored("lab"),
                "round {round}"
            );
            assert!(
                !inventory.can_pin(&in_use),
                "a user pin is not replaced by users"
            );
        }
    }

    #[test]
    fn stored_pins_apply_only_to_devices_marked_for_tofu() {
        let pins = PinStore::in_memory();
        pins.set_if_absent("lab", &format!("sha256:{}", "ab".repeat(32)))
            .unwrap();
        let inventory = tofu_inventory(pins);
        let lab = inventory.get("lab").unwrap();
        assert!(lab.pinned_by_user);
        assert!(matches!(
            inventory.pin("lab", &format!("sha256:{}", "cd".repeat(32))),
            Err(InventoryError::AlreadyPinned { .. })
        ));
    }
}
