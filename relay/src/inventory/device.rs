//! One device: how it is configured, and the keep-alive pool that dials it under its trust
//! policy (`pool.rs`). A pool never follows redirects (it hands every reply back as it is, so
//! the auth header cannot follow one) and never uses a proxy (it dials the device itself).
//!
//! What the relay's rules need of the device's kind is resolved here, once, when the device is
//! built: its rate budget (the kind's default with the operator's setting over it) and the
//! largest request body it accepts, so no call looks either up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use shared::wire::budget::RateBudget;
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

/// The operator's budget setting for one device (`requests_per_minute`, `concurrent_calls`):
/// `None` keeps the kind's default, `Some(0)` turns that count off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetSetting {
    pub per_minute: Option<u32>,
    pub concurrent: Option<u32>,
}

/// A device's rate budget: its kind's default (just under the kind's own limits, where it has
/// some), with the operator's `setting` over it.
pub fn device_budget(kind: DeviceKind, setting: Option<&BudgetSetting>) -> RateBudget {
    let default = RateBudget::for_limit(shared::devices::profile(kind).rules.rate_limit);
    setting.map_or(default, |s| default.with(s.per_minute, s.concurrent))
}

/// The names of a device's two budget windows in the replicas' store, made once per device so
/// admitting a call allocates none.
#[derive(Clone, Debug)]
pub struct BudgetKeys {
    /// Its calls in progress.
    pub calls: Arc<str>,
    /// Its requests in the last minute.
    pub requests: Arc<str>,
}

impl BudgetKeys {
    fn of(id: &str) -> Self {
        Self {
            calls: format!("device:{id}:calls").into(),
            requests: format!("device:{id}:requests").into(),
        }
    }
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
    /// The relay's rate budget for the device, across users and replicas.
    pub budget: RateBudget,
    pub budget_keys: BudgetKeys,
    /// The largest request body the device accepts, as its kind says (`usize::MAX`: it does not
    /// say); the relay forwards no more than this or its own `limits.max_body`, the smaller.
    pub max_body: usize,
}

impl Device {
    /// A device under its configured policy and its kind's default budget, resolving names
    /// without restriction.
    pub fn new(config: DeviceConfig, timeouts: Timeouts) -> Result<Self, InventoryError> {
        let trust = config.trust.clone();
        let budget = device_budget(config.kind, None);
        Self::with_trust(
            config,
            trust,
            false,
            budget,
            DeviceResolver::any(),
            timeouts,
        )
    }

    pub(super) fn with_trust(
        config: DeviceConfig,
        trust: TrustPolicy,
        pinned_by_user: bool,
        budget: RateBudget,
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
        let max_body = shared::devices::profile(config.kind)
            .max_body_bytes
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(Self {
            budget_keys: BudgetKeys::of(&config.id),
            config,
            trust,
            pinned_by_user,
            pool,
            resolver,
            timeouts,
            budget,
            max_body,
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
            budget: self.budget,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: DeviceKind) -> DeviceConfig {
        DeviceConfig {
            id: "lab".into(),
            name: "Lab".into(),
            kind,
            base_url: "https://192.0.2.1".parse().unwrap(),
            trust: TrustPolicy::Insecure,
            tofu: false,
        }
    }

    #[test]
    fn a_device_gets_its_kinds_budget_with_the_operators_setting_over_it() {
        for kind in DeviceKind::ALL {
            let default = RateBudget::for_limit(shared::devices::profile(kind).rules.rate_limit);
            assert_eq!(device_budget(kind, None), default, "{kind}");
            let set = BudgetSetting {
                per_minute: Some(30),
                concurrent: Some(0),
            };
            let budget = device_budget(kind, Some(&set));
            assert_eq!(budget.total.per_minute, Some(30), "{kind}");
            assert_eq!(budget.total.concurrent, None, "{kind}: 0 turns it off");
            let device = Device::new(config(kind), Timeouts::default()).unwrap();
            assert_eq!(device.budget, default);
            assert_eq!(
                device.summary(false).budget,
                default,
                "advertised as counted"
            );
        }
    }

    #[test]
    fn a_device_takes_its_kinds_body_limit_and_names_its_budget_windows_once() {
        for kind in DeviceKind::ALL {
            let device = Device::new(config(kind), Timeouts::default()).unwrap();
            match shared::devices::profile(kind).max_body_bytes {
                Some(limit) => assert_eq!(device.max_body as u64, limit, "{kind}"),
                None => assert_eq!(device.max_body, usize::MAX, "{kind}"),
            }
            assert_eq!(&*device.budget_keys.calls, "device:lab:calls");
            assert_eq!(&*device.budget_keys.requests, "device:lab:requests");
        }
    }
}
