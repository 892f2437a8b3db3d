//! One device: how it is configured, and the keep-alive pool that dials it under its trust
//! policy (`pool.rs`). A pool never follows redirects (it hands every reply back as it is, so
//! the auth header cannot follow one) and never uses a proxy (it dials the device itself).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shared::wire::{DeviceKind, DeviceSummary};
use url::Url;

use super::error::InventoryError;
use super::pool::{Pool, PoolSettings};
use super::resolve::{DeviceResolver, ResolveError};
use crate::trust::TrustPolicy;

/// How a device is configured.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub base_url: Url,
    /// The operator's policy (for a device marked `tofu`, the system roots until a user pins it).
    pub trust: TrustPolicy,
    /// The operator marked this device for trust on first use: a user may pin the certificate
    /// it presents, once. Only for devices without a `ca`, `pin` or `insecure` of their own.
    pub tofu: bool,
}

/// Timeouts applied to every device call, and how long idle pooled connections live.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// TCP connect and TLS handshake (name resolution included).
    pub connect: Duration,
    /// From sending the request until the device's response headers.
    pub request: Duration,
    pub pool_idle: Duration,
    /// Longest pause between two pieces of the device's response body.
    pub reply_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(30),
            pool_idle: Duration::from_secs(60),
            reply_idle: Duration::from_secs(30),
        }
    }
}

/// A device ready to be dialled.
#[derive(Debug)]
pub struct Device {
    pub config: DeviceConfig,
    /// The policy in force: the configured one, or a user's pin from trust on first use.
    pub trust: TrustPolicy,
    /// Whether `trust` is a user's pin (which only an operator may replace).
    pub pinned_by_user: bool,
    /// Keep-alive pool bound to `trust`. Never follows redirects, never uses a proxy.
    pub pool: Pool,
    /// Resolves the device's host for its pool and its probe (ad-hoc devices: reserved
    /// addresses refused).
    pub resolver: Arc<DeviceResolver>,
    pub timeouts: Timeouts,
}

impl Device {
    /// A device under its configured policy, resolving names without restriction.
    pub fn new(config: DeviceConfig, timeouts: Timeouts) -> Result<Self, InventoryError> {
        let trust = config.trust.clone();
        Self::with_trust(config, trust, false, DeviceResolver::any(), timeouts)
    }

    pub(super) fn with_trust(
        config: DeviceConfig,
        trust: TrustPolicy,
        pinned_by_user: bool,
        resolver: DeviceResolver,
        timeouts: Timeouts,
    ) -> Result<Self, InventoryError> {
        if config.base_url.scheme() != "https" {
            return Err(InventoryError::NotHttps {
                id: config.id,
                url: config.base_url.to_string(),
            });
        }
        let tls = trust
            .client_config()
            .map_err(|source| InventoryError::Trust {
                id: config.id.clone(),
                source,
            })?;
        let resolver = Arc::new(resolver.for_device(&config.id));
        let pool = Pool::new(PoolSettings {
            base_url: config.base_url.clone(),
            tls,
            resolver: resolver.clone(),
            connect_timeout: timeouts.connect,
            idle_timeout: timeouts.pool_idle,
        })
        .map_err(|source| InventoryError::BadHost {
            id: config.id.clone(),
            url: config.base_url.to_string(),
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
            pinned_by_user,
            pool,
            resolver,
            timeouts,
        })
    }

    /// TLS connections opened to the device so far (resumed sessions included).
    pub fn connections_opened(&self) -> u64 {
        self.pool.connections_opened()
    }

    /// The host (as in the base URL) and the addresses to dial for it.
    pub async fn addresses(&self) -> Result<(String, Vec<SocketAddr>), ResolveError> {
        let url = &self.config.base_url;
        let host = url.host_str().unwrap_or_default().to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = self.resolver.addresses(&host, port).await?;
        Ok((host, addrs))
    }

    /// The base URL without its trailing slash, as people write it.
    pub fn target(&self) -> &str {
        self.config.base_url.as_str().trim_end_matches('/')
    }

    /// The device as the app sees it; `tofu` says whether a user may pin it now.
    pub fn summary(&self, tofu: bool) -> DeviceSummary {
        DeviceSummary {
            id: self.config.id.clone(),
            name: self.config.name.clone(),
            kind: self.config.kind,
            base_url: self.target().to_owned(),
            trust: self.trust.summary(),
            tofu,
        }
    }
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
