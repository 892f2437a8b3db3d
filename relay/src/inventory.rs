//! The devices this relay may dial, each with its own trust policy and keep-alive pool, plus
//! the ad-hoc devices the operator's allowlist admits (`adhoc`) and the users' trust-on-first-use
//! pins (`pins`, the only owner of those rules, over the replicas' store's pins: a pin made on
//! another replica is applied by [`Inventory::follow_pins`]).

pub mod adhoc;
mod device;
mod error;
mod pins;
pub mod pool;
pub mod resolve;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use shared::wire::DeviceSummary;

use crate::trust::TrustPolicy;
use adhoc::{AdHocPolicy, is_adhoc_id};
pub use device::{
    BudgetKeys, BudgetSetting, Device, DeviceConfig, Timeouts, device_base_url, device_budget,
    valid_device_id,
};
pub use error::InventoryError;
use pins::Pins;
use resolve::DeviceResolver;

use crate::replica_store::ReplicaStore;

/// How the inventory treats users' pins and ad-hoc devices.
#[derive(Debug, Default)]
pub struct InventoryOptions {
    /// Where pins are kept (and budgets counted): in memory by default.
    pub state: Arc<ReplicaStore>,
    /// `true` when only the operator may pin (`allow_tofu = false`, the master switch).
    pub deny_tofu: bool,
    pub ad_hoc: AdHocPolicy,
    /// The operator's budget settings, by device id (devices not named, ad-hoc ones included,
    /// keep their kind's default).
    pub budgets: HashMap<String, BudgetSetting>,
}

/// At most this many ad-hoc devices keep a pool at once.
const AD_HOC_CACHE: usize = 64;

/// All devices, by id.
#[derive(Debug)]
pub struct Inventory {
    devices: RwLock<BTreeMap<String, Arc<Device>>>,
    timeouts: Timeouts,
    ad_hoc_policy: AdHocPolicy,
    ad_hoc: Mutex<HashMap<String, Arc<Device>>>,
    pins: Pins,
    budgets: HashMap<String, BudgetSetting>,
}

impl Inventory {
    /// An inventory with trust-on-first-use pins kept in memory and no ad-hoc devices.
    pub fn new(configs: Vec<DeviceConfig>, timeouts: Timeouts) -> Result<Self, InventoryError> {
        Self::with_options(configs, timeouts, InventoryOptions::default())
    }

    pub fn with_options(
        configs: Vec<DeviceConfig>,
        timeouts: Timeouts,
        options: InventoryOptions,
    ) -> Result<Self, InventoryError> {
        let InventoryOptions {
            state,
            deny_tofu,
            ad_hoc,
            budgets,
        } = options;
        let inventory = Self {
            devices: RwLock::new(BTreeMap::new()),
            timeouts,
            ad_hoc_policy: ad_hoc,
            ad_hoc: Mutex::new(HashMap::new()),
            pins: Pins::new(state, !deny_tofu),
            budgets,
        };
        {
            let mut devices = inventory.devices.write().unwrap_or_else(|p| p.into_inner());
            for config in configs {
                let id = config.id.clone();
                let device = inventory.build(config, DeviceResolver::any())?;
                if devices.insert(id.clone(), Arc::new(device)).is_some() {
                    return Err(InventoryError::Duplicate(id));
                }
            }
        }
        Ok(inventory)
    }

    /// A configured device, or an ad-hoc one the allowlist admits.
    pub fn get(&self, id: &str) -> Option<Arc<Device>> {
        if let Some(device) = self.read().get(id) {
            return Some(device.clone());
        }
        if !is_adhoc_id(id) {
            return None;
        }
        let (kind, base_url) = self.ad_hoc_policy.resolve(id)?;
        if let Some(device) = self.ad_hoc_cache().get(id) {
            return Some(device.clone());
        }
        // Built without holding the cache lock: a TLS configuration and a pool take a while.
        let config = DeviceConfig {
            id: id.to_owned(),
            name: format!("{} (ad hoc)", base_url.as_str().trim_end_matches('/')),
            kind,
            base_url,
            trust: TrustPolicy::Ca { roots_pem: None },
            tofu: true,
        };
        let device = match self.build(config, self.ad_hoc_policy.resolver()) {
            Ok(device) => Arc::new(device),
            Err(e) => {
                tracing::warn!(device = %id, "cannot build ad-hoc device: {e}");
                return None;
            }
        };
        let mut cache = self.ad_hoc_cache();
        if let Some(raced) = cache.get(id) {
            return Some(raced.clone());
        }
        if cache.len() >= AD_HOC_CACHE {
            cache.clear();
        }
        cache.insert(id.to_owned(), device.clone());
        Some(device)
    }

    /// The operator's ad-hoc allowlist.
    pub fn ad_hoc(&self) -> &AdHocPolicy {
        &self.ad_hoc_policy
    }

    /// The operator's master switch for trust on first use (`allow_tofu`).
    pub fn allow_tofu(&self) -> bool {
        self.pins.allowed()
    }

    /// Where pins are kept and budgets counted.
    pub fn store(&self) -> &Arc<ReplicaStore> {
        self.pins.state()
    }

    /// Whether `device` may be dialled as it stands: refused while the replicas' store cannot say
    /// whether another replica pinned it (see `pins`).
    pub fn trust_known(&self, device: &Device) -> Result<(), InventoryError> {
        self.pins.known(device)
    }

    /// Whether a user may pin `device` now (see `pins` for the rules).
    pub fn can_pin(&self, device: &Device) -> bool {
        self.pins.can_pin(device)
    }

    /// Whether a user may pin `device` now, and if not, why (checked again under the write
    /// lock by [`Inventory::pin`]).
    pub fn may_pin(&self, device: &Device) -> Result<(), InventoryError> {
        self.pins.check(device)
    }

    /// `device` as the app sees it.
    pub fn summary(&self, device: &Device) -> DeviceSummary {
        device.summary(self.can_pin(device))
    }

    /// Build a device under its configured policy, or a user's stored pin where allowed.
    fn build(
        &self,
        config: DeviceConfig,
        resolver: DeviceResolver,
    ) -> Result<Device, InventoryError> {
        let (trust, pinned_by_user) = self.pins.policy_for(&config);
        let budget = device_budget(config.kind, self.budgets.get(&config.id));
        Device::with_trust(
            config,
            trust,
            pinned_by_user,
            budget,
            resolver,
            self.timeouts,
        )
    }

    /// Pin `fingerprint` (already checked against what the device presents) for `id`, save
    /// it, and switch the device's pool to it. Pin writes are serialised: the pin in use is
    /// always the pin saved.
    pub async fn pin(&self, id: &str, fingerprint: &str) -> Result<Arc<Device>, InventoryError> {
        let _one_writer = self.pins.write_lock().await;
        let current = self
            .get(id)
            .ok_or_else(|| InventoryError::Unknown(id.to_owned()))?;
        self.pins.check(&current)?;
        let trust = TrustPolicy::pin(fingerprint).map_err(|source| InventoryError::Trust {
            id: id.to_owned(),
            source,
        })?;
        let device = Arc::new(Device::with_trust(
            current.config.clone(),
            trust,
            true,
            current.budget,
            (*current.resolver).clone(),
            self.timeouts,
        )?);
        self.pins.save(id, fingerprint).await?;
        self.replace(device.clone());
        tracing::info!(device = %id, %fingerprint, "pinned by a user (trust on first use)");
        Ok(device)
    }

    /// Apply the replicas' store's pins as they change (a pin made on another replica, one the
    /// operator removed), until the store is gone. [`crate::serve`] runs this.
    pub async fn follow_pins(self: Arc<Self>) {
        let mut pins = self.pins.watch();
        while pins.changed().await.is_ok() {
            let _one_writer = self.pins.write_lock().await;
            for device in self.devices().into_iter().chain(self.ad_hoc_devices()) {
                self.apply_stored_pin(&device);
            }
        }
    }

    /// Rebuild `device` if the store now says otherwise about its pin.
    fn apply_stored_pin(&self, device: &Device) {
        let (trust, pinned_by_user) = self.pins.policy_for(&device.config);
        if trust == device.trust && pinned_by_user == device.pinned_by_user {
            return;
        }
        let id = &device.config.id;
        match Device::with_trust(
            device.config.clone(),
            trust,
            pinned_by_user,
            device.budget,
            (*device.resolver).clone(),
            self.timeouts,
        ) {
            Ok(rebuilt) => {
                match rebuilt.trust.pinned().filter(|_| pinned_by_user) {
                    Some(pin) => {
                        tracing::info!(device = %id, fingerprint = %pin, "applying a pin from the shared state")
                    }
                    None => {
                        tracing::info!(device = %id, "the shared state no longer pins this device: back to the operator's policy")
                    }
                }
                self.replace(Arc::new(rebuilt));
            }
            Err(e) => tracing::warn!(device = %id, "cannot apply the shared state's pin: {e}"),
        }
    }

    /// Configured devices, in id order.
    pub fn devices(&self) -> Vec<Arc<Device>> {
        self.read().values().cloned().collect()
    }

    /// Ad-hoc devices with a live pool.
    pub fn ad_hoc_devices(&self) -> Vec<Arc<Device>> {
        self.ad_hoc_cache().values().cloned().collect()
    }

    pub fn summaries(&self) -> Vec<DeviceSummary> {
        self.read().values().map(|d| self.summary(d)).collect()
    }

    /// Put `device` in place of the one with the same id.
    fn replace(&self, device: Arc<Device>) {
        let id = device.config.id.clone();
        if is_adhoc_id(&id) {
            self.ad_hoc_cache().insert(id, device);
        } else {
            let mut devices = self.devices.write().unwrap_or_else(|p| p.into_inner());
            devices.insert(id, device);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Device>>> {
        self.devices.read().unwrap_or_else(|p| p.into_inner())
    }

    fn ad_hoc_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Device>>> {
        self.ad_hoc.lock().unwrap_or_else(|p| p.into_inner())
    }
}
