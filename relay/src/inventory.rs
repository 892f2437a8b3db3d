//! The devices this relay may dial, each with its own trust policy and keep-alive pool, plus
//! the ad-hoc devices the operator's allowlist admits and the users' trust-on-first-use pins.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::Url;
use shared::wire::{DeviceKind, DeviceSummary};

use crate::adhoc::{AdHocPolicy, is_adhoc_id};
use crate::pins::{PinStore, PinStoreError};
use crate::trust::{TrustError, TrustPolicy};

/// How a device is configured.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub base_url: Url,
    pub trust: TrustPolicy,
}

/// Timeouts applied to every device call, and how long idle pooled connections live.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
    pub pool_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            pool_idle: Duration::from_secs(60),
        }
    }
}

/// Why the inventory could not be built or changed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("device id {0:?} appears twice in the inventory")]
    Duplicate(String),
    #[error("device {id}: base URL {url} must be https")]
    NotHttps { id: String, url: String },
    #[error("device {id}: {source}")]
    Trust { id: String, source: TrustError },
    #[error("device {id}: building its HTTP client: {source}")]
    Client { id: String, source: reqwest::Error },
    #[error(
        "device {0}: its pin is set in the relay's configuration; only the operator can change it"
    )]
    OperatorPinned(String),
    #[error("no device {0:?}")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] PinStoreError),
}

/// A device ready to be dialled.
#[derive(Debug)]
pub struct Device {
    pub config: DeviceConfig,
    /// The policy in force: the configured one, or a user's pin from trust-on-first-use.
    pub trust: TrustPolicy,
    /// Keep-alive pool bound to `trust`. Never follows redirects, never uses a proxy.
    pub client: reqwest::Client,
    pub timeouts: Timeouts,
    /// New TLS connections made so far (full certificate verifications).
    pub handshakes: Arc<AtomicU64>,
}

impl Device {
    pub fn new(config: DeviceConfig, timeouts: Timeouts) -> Result<Self, InventoryError> {
        let trust = config.trust.clone();
        Self::with_trust(config, trust, timeouts)
    }

    fn with_trust(
        config: DeviceConfig,
        trust: TrustPolicy,
        timeouts: Timeouts,
    ) -> Result<Self, InventoryError> {
        if config.base_url.scheme() != "https" {
            return Err(InventoryError::NotHttps {
                id: config.id,
                url: config.base_url.to_string(),
            });
        }
        let handshakes = Arc::new(AtomicU64::new(0));
        let tls =
            trust
                .client_config(handshakes.clone())
                .map_err(|source| InventoryError::Trust {
                    id: config.id.clone(),
                    source,
                })?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .pool_idle_timeout(timeouts.pool_idle)
            .no_proxy()
            .build()
            .map_err(|source| InventoryError::Client {
                id: config.id.clone(),
                source,
            })?;
        if trust == TrustPolicy::Insecure {
            tracing::warn!(
                device = %config.id,
                url = %config.base_url,
                "INSECURE: certificate verification is OFF for this device (insecure = true); \
                 anyone on the path can read its passwords and tokens"
            );
        }
        Ok(Self {
            config,
            trust,
            client,
            timeouts,
            handshakes,
        })
    }

    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }

    /// The device as the app sees it; `tofu` says whether a user may pin it.
    pub fn summary(&self, tofu: bool) -> DeviceSummary {
        DeviceSummary {
            id: self.config.id.clone(),
            name: self.config.name.clone(),
            kind: self.config.kind,
            base_url: self
                .config
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            trust: self.trust.summary(),
            tofu,
        }
    }
}

/// How the inventory treats users' pins and ad-hoc devices.
#[derive(Debug, Default)]
pub struct InventoryOptions {
    pub pins: PinStore,
    /// `false` when only the operator may pin (`allow_tofu = false`).
    pub deny_tofu: bool,
    pub ad_hoc: AdHocPolicy,
}

/// At most this many ad-hoc devices keep a pool at once.
const AD_HOC_CACHE: usize = 64;

/// All devices, by id.
#[derive(Debug)]
pub struct Inventory {
    devices: RwLock<BTreeMap<String, Arc<Device>>>,
    timeouts: Timeouts,
    options: InventoryOptions,
    ad_hoc: Mutex<HashMap<String, Arc<Device>>>,
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
        let inventory = Self {
            devices: RwLock::new(BTreeMap::new()),
            timeouts,
            options,
            ad_hoc: Mutex::new(HashMap::new()),
        };
        {
            let mut devices = inventory.devices.write().unwrap_or_else(|p| p.into_inner());
            for config in configs {
                let id = config.id.clone();
                let device = inventory.build(config)?;
                if devices.insert(id.clone(), Arc::new(device)).is_some() {
                    return Err(InventoryError::Duplicate(id));
                }
            }
        }
        Ok(inventory)
    }

    /// Build a device with the user's pin applied, unless the operator pinned it.
    fn build(&self, config: DeviceConfig) -> Result<Device, InventoryError> {
        let user_pin = match &config.trust {
            TrustPolicy::Pin { .. } => None,
            _ => self.options.pins.get(&config.id),
        };
        let trust = match user_pin.map(|p| TrustPolicy::pin(&p)) {
            Some(Ok(pin)) => pin,
            Some(Err(e)) => {
                tracing::warn!(device = %config.id, "ignoring the stored pin: {e}");
                config.trust.clone()
            }
            None => config.trust.clone(),
        };
        Device::with_trust(config, trust, self.timeouts)
    }

    /// A configured device, or an ad-hoc one the allowlist admits.
    pub fn get(&self, id: &str) -> Option<Arc<Device>> {
        if let Some(device) = self.read().get(id) {
            return Some(device.clone());
        }
        if !is_adhoc_id(id) {
            return None;
        }
        let (kind, base_url) = self.options.ad_hoc.resolve(id)?;
        let mut cache = self.ad_hoc.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(device) = cache.get(id) {
            return Some(device.clone());
        }
        let config = DeviceConfig {
            id: id.to_owned(),
            name: format!("{} (ad hoc)", base_url.as_str().trim_end_matches('/')),
            kind,
            base_url,
            trust: TrustPolicy::Ca { roots_pem: None },
        };
        let device = match self.build(config) {
            Ok(device) => Arc::new(device),
            Err(e) => {
                tracing::warn!(device = %id, "cannot build ad-hoc device: {e}");
                return None;
            }
        };
        if cache.len() >= AD_HOC_CACHE {
            cache.clear();
        }
        cache.insert(id.to_owned(), device.clone());
        Some(device)
    }

    /// The operator's ad-hoc allowlist.
    pub fn ad_hoc(&self) -> &AdHocPolicy {
        &self.options.ad_hoc
    }

    pub fn allow_tofu(&self) -> bool {
        !self.options.deny_tofu
    }

    /// Whether a user may pin `device` (trust on first use allowed, no operator pin).
    pub fn can_pin(&self, device: &Device) -> bool {
        self.allow_tofu() && !matches!(device.config.trust, TrustPolicy::Pin { .. })
    }

    /// `device` as the app sees it.
    pub fn summary(&self, device: &Device) -> DeviceSummary {
        device.summary(self.can_pin(device))
    }

    /// Pin `fingerprint` (already checked against what the device presents) for `id`,
    /// persist it, and switch the device's pool to it.
    pub fn pin(&self, id: &str, fingerprint: &str) -> Result<Arc<Device>, InventoryError> {
        let current = self
            .get(id)
            .ok_or_else(|| InventoryError::Unknown(id.to_owned()))?;
        if matches!(current.config.trust, TrustPolicy::Pin { .. }) {
            return Err(InventoryError::OperatorPinned(id.to_owned()));
        }
        let trust = TrustPolicy::pin(fingerprint).map_err(|source| InventoryError::Trust {
            id: id.to_owned(),
            source,
        })?;
        let device = Arc::new(Device::with_trust(
            current.config.clone(),
            trust,
            self.timeouts,
        )?);
        self.options.pins.set(id, fingerprint)?;
        if is_adhoc_id(id) {
            let mut cache = self.ad_hoc.lock().unwrap_or_else(|p| p.into_inner());
            cache.insert(id.to_owned(), device.clone());
        } else {
            let mut devices = self.devices.write().unwrap_or_else(|p| p.into_inner());
            devices.insert(id.to_owned(), device.clone());
        }
        tracing::info!(device = %id, %fingerprint, "pinned by a user (trust on first use)");
        Ok(device)
    }

    /// Configured devices, in id order.
    pub fn devices(&self) -> Vec<Arc<Device>> {
        self.read().values().cloned().collect()
    }

    /// Ad-hoc devices with a live pool.
    pub fn ad_hoc_devices(&self) -> Vec<Arc<Device>> {
        let cache = self.ad_hoc.lock().unwrap_or_else(|p| p.into_inner());
        cache.values().cloned().collect()
    }

    pub fn summaries(&self) -> Vec<DeviceSummary> {
        self.read().values().map(|d| self.summary(d)).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Device>>> {
        self.devices.read().unwrap_or_else(|p| p.into_inner())
    }
}
