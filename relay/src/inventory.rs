//! The devices this relay may dial, each with its own trust policy and connection pool.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use shared::device::{DeviceKind, DeviceSummary};

use crate::trust::TrustPolicy;

/// How a device is configured.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub base_url: Url,
    pub trust: TrustPolicy,
}

/// Timeouts applied to every device call.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
        }
    }
}

/// A device ready to be dialled.
#[derive(Clone, Debug)]
pub struct Device {
    pub config: DeviceConfig,
    /// Keep-alive pool bound to this device's trust policy. Never follows redirects.
    pub client: reqwest::Client,
    pub timeouts: Timeouts,
}

impl Device {
    pub fn new(config: DeviceConfig, timeouts: Timeouts) -> anyhow::Result<Self> {
        if config.base_url.scheme() != "https" {
            anyhow::bail!(
                "device {}: base URL {} must be https",
                config.id,
                config.base_url
            );
        }
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(config.trust.client_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .pool_idle_timeout(Duration::from_secs(60))
            .no_proxy()
            .build()?;
        if config.trust == TrustPolicy::Insecure {
            tracing::warn!(
                device = %config.id,
                "certificate verification is OFF for this device (insecure = true)"
            );
        }
        Ok(Self {
            config,
            client,
            timeouts,
        })
    }

    pub fn summary(&self) -> DeviceSummary {
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
            trust: self.config.trust.summary(),
        }
    }
}

/// All devices, by id.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    devices: BTreeMap<String, Device>,
}

impl Inventory {
    pub fn new(configs: Vec<DeviceConfig>, timeouts: Timeouts) -> anyhow::Result<Self> {
        let mut devices = BTreeMap::new();
        for config in configs {
            let id = config.id.clone();
            if devices
                .insert(id.clone(), Device::new(config, timeouts)?)
                .is_some()
            {
                anyhow::bail!("device id {id:?} appears twice in the inventory");
            }
        }
        Ok(Self { devices })
    }

    pub fn get(&self, id: &str) -> Option<&Device> {
        self.devices.get(id)
    }

    pub fn summaries(&self) -> Vec<DeviceSummary> {
        self.devices.values().map(Device::summary).collect()
    }
}
