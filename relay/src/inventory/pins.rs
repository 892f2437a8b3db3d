//! Trust on first use: the only place its rules live. The pins themselves are kept in the
//! replicas' store (`crate::replica_store`: the pin file, or Redis for replicas).
//!
//! The rules:
//! - a user may pin only a device the operator marked `tofu = true` (or an ad-hoc device), and
//!   only while `allow_tofu` (the operator's master switch) is on;
//! - never over an operator's CA, pin or `insecure` (such a device cannot be marked);
//! - once: a device a user pinned keeps that pin until the operator removes it from the store;
//!   the first pin wins, across replicas too;
//! - pin writes are serialised, so the pin in use is always the pin saved;
//! - fail closed: while the store cannot say whether a device was pinned (Redis away, or Redis
//!   lost its data: its generation marker is gone), a device open to trust on first use and not
//!   pinned yet is not dialled, and nobody can pin; a stored pin that does not verify (unsigned,
//!   another key) is refused, and its device is not dialled until the operator removes it.

use std::sync::Arc;

use tokio::sync::watch;

use super::device::{Device, DeviceConfig};
use super::error::InventoryError;
use crate::replica_store::{PinStatus, PinView, ReplicaStore, StateLoss};
use crate::trust::TrustPolicy;

/// The trust-on-first-use rules over the replicas' store's pins.
#[derive(Debug)]
pub struct Pins {
    state: Arc<ReplicaStore>,
    /// The operator's master switch (`allow_tofu`).
    allowed: bool,
    /// Held across a whole pin write (check, save, swap), and while pins made elsewhere are
    /// applied.
    writes: tokio::sync::Mutex<()>,
}

impl Pins {
    pub fn new(state: Arc<ReplicaStore>, allowed: bool) -> Self {
        Self {
            state,
            allowed,
            writes: tokio::sync::Mutex::new(()),
        }
    }

    pub fn allowed(&self) -> bool {
        self.allowed
    }

    pub fn state(&self) -> &Arc<ReplicaStore> {
        &self.state
    }

    /// Follow the store's pins.
    pub fn watch(&self) -> watch::Receiver<PinView> {
        self.state.watch_pins()
    }

    /// Whether a user may pin `device` now.
    pub fn can_pin(&self, device: &Device) -> bool {
        if !(self.allowed && device.config.tofu && !device.pinned_by_user) {
            return false;
        }
        let view = self.state.pins();
        view.loss().is_none() && view.refused(&device.config.id).is_none()
    }

    /// The policy a device is built with, and whether it is a user's pin: the stored pin for a
    /// device marked for trust on first use (while allowed), else the operator's policy.
    pub fn policy_for(&self, config: &DeviceConfig) -> (TrustPolicy, bool) {
        let view = self.state.pins();
        let Some(stored) = view.get(&config.id) else {
            return (config.trust.clone(), false);
        };
        if !(self.allowed && config.tofu) {
            tracing::warn!(
                device = %config.id,
                "ignoring the stored pin: the device is not open to trust on first use"
            );
            return (config.trust.clone(), false);
        }
        match TrustPolicy::pin(stored) {
            Ok(pin) => (pin, true),
            Err(e) => {
                tracing::warn!(device = %config.id, "ignoring the stored pin: {e}");
                (config.trust.clone(), false)
            }
        }
    }

    /// Fail closed: a device open to trust on first use and not pinned (as far as this replica
    /// knows) is dialled only while the store can say that nobody pinned it elsewhere; one whose
    /// stored pin was refused, not at all.
    pub fn known(&self, device: &Device) -> Result<(), InventoryError> {
        if !(self.allowed && device.config.tofu) {
            return Ok(());
        }
        let view = self.state.pins();
        self.refused(device, &view, false)?;
        if device.pinned_by_user {
            return Ok(());
        }
        match view.status() {
            PinStatus::Current => Ok(()),
            PinStatus::Unreachable => Err(InventoryError::PinsUnknown {
                id: device.config.id.clone(),
                state: self.state.describe(),
            }),
            PinStatus::Lost(loss) => Err(self.lost(device, loss, false)),
        }
    }

    /// Refuse `device` if its stored pin was refused, or every pin while the store lost its
    /// data.
    fn refused(
        &self,
        device: &Device,
        view: &PinView,
        pinning: bool,
    ) -> Result<(), InventoryError> {
        let id = &device.config.id;
        if let Some(why) = view.refused(id) {
            return Err(InventoryError::PinRefused {
                id: id.clone(),
                state: self.state.describe(),
                why: why.to_owned(),
            });
        }
        match view.loss() {
            Some(loss) if pinning => Err(self.lost(device, loss, true)),
            _ => Ok(()),
        }
    }

    fn lost(&self, device: &Device, loss: &StateLoss, pinning: bool) -> InventoryError {
        InventoryError::PinsLost {
            id: device.config.id.clone(),
            state: self.state.describe(),
            loss: loss.to_string(),
            pinning,
        }
    }

    /// Serialise pin writes: hold this from the check until the new device is in place.
    pub async fn write_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writes.lock().await
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
        let view = self.state.pins();
        self.refused(device, &view, true)?;
        let stored = view.get(&id).map(str::to_owned);
        if let Some(existing) = stored.or_else(|| {
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

    /// Save a checked pin (refused if one appeared meanwhile, here or on another replica).
    pub async fn save(&self, id: &str, fingerprint: &str) -> Result<(), InventoryError> {
        let saved = self.state.set_pin_if_absent(id, fingerprint).await;
        match saved.map_err(|source| InventoryError::PinNotSaved {
            id: id.to_owned(),
            source,
        })? {
            None => Ok(()),
            Some(existing) => Err(InventoryError::AlreadyPinned {
                id: id.to_owned(),
                fingerprint: existing,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use crate::inventory::{Inventory, InventoryOptions, Timeouts};

    fn tofu_inventory(state: ReplicaStore) -> Inventory {
        let config = DeviceConfig {
            id: "lab".into(),
            name: "Lab".into(),
            kind: shared::wire::DeviceKind::Bigip,
            base_url: "https://192.0.2.1".parse().unwrap(),
            trust: TrustPolicy::Ca { roots_pem: None },
            tofu: true,
        };
        let options = InventoryOptions {
            state: Arc::new(state),
            ..Default::default()
        };
        Inventory::with_options(vec![config], Timeouts::default(), options).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_pins_leave_the_pin_in_use_equal_to_the_pin_saved() {
        for round in 0..50 {
            let inventory = Arc::new(tofu_inventory(ReplicaStore::in_memory()));
            let tasks: Vec<_> = (0..6u8)
                .map(|n| {
                    let inventory = inventory.clone();
                    tokio::spawn(async move {
                        let fingerprint = format!("sha256:{}", hex::encode([n; 32]));
                        inventory.pin("lab", &fingerprint).await.is_ok()
                    })
                })
                .collect();
            let mut won = 0;
            for task in tasks {
                won += usize::from(task.await.unwrap());
            }
            assert_eq!(won, 1, "round {round}: exactly one pin wins");
            let in_use = inventory.get("lab").unwrap();
            assert_eq!(
                in_use.trust.pinned().as_deref(),
                inventory.pins.state().pins().get("lab"),
                "round {round}"
            );
            assert!(
                !inventory.can_pin(&in_use),
                "a user pin is not replaced by users"
            );
        }
    }

    #[tokio::test]
    async fn stored_pins_apply_only_to_devices_marked_for_tofu() {
        let state = ReplicaStore::in_memory();
        state
            .set_pin_if_absent("lab", &format!("sha256:{}", "ab".repeat(32)))
            .await
            .unwrap();
        let inventory = tofu_inventory(state);
        let lab = inventory.get("lab").unwrap();
        assert!(lab.pinned_by_user);
        assert!(matches!(
            inventory
                .pin("lab", &format!("sha256:{}", "cd".repeat(32)))
                .await,
            Err(InventoryError::AlreadyPinned { .. })
        ));
    }
}
