//! [`AppState`]: everything a request handler may need, cheap to clone, and the narrower views
//! the guards and the console's files take from it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use tokio::sync::Semaphore;

use crate::admission::budget::DeviceBudgets;
use crate::admission::fair_share::FairShare;
use crate::config::Limits;
use crate::console::AppFiles;
use crate::guard::access_key::KeyFailures;
use crate::guard::{AccessPolicy, Guard, ProxyPolicy};
use crate::inventory::Inventory;
use crate::metrics::Metrics;
use crate::readiness::Readiness;
use crate::replica_store::ReplicaStore;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inventory: Arc<Inventory>,
    /// The built app; `None` serves the API only.
    pub app_files: Option<AppFiles>,
    pub access: Arc<AccessPolicy>,
    /// Who the client is behind the operator's proxies.
    pub proxies: Arc<ProxyPolicy>,
    pub key_failures: Arc<KeyFailures>,
    /// Pins and budgets: this replica's own, or every replica's in Redis.
    pub store: Arc<ReplicaStore>,
    /// Each device's requests a minute and calls at once, counted (each device's budget is
    /// the device's own, `crate::inventory::Device::budget`).
    pub budgets: Arc<DeviceBudgets>,
    /// `/readyz`: false from the start of a shutdown.
    pub readiness: Arc<Readiness>,
    pub metrics: Arc<Metrics>,
    /// The server's bounds: timeouts, caps, body sizes.
    pub limits: Limits,
    /// Permits for requests in flight (`limits.max_in_flight`); none left means shed load.
    pub in_flight: Arc<Semaphore>,
    /// Each client's share of the in-flight permits (`limits.max_in_flight_per_client`).
    pub in_flight_shares: Arc<FairShare>,
    /// Each client's share of the connection cap (`limits.max_connections_per_client`).
    pub connection_shares: Arc<FairShare>,
    /// The address [`crate::serve`] is bound to (accepted as a `Host`).
    pub bound: Option<SocketAddr>,
}

impl AppState {
    /// Loopback defaults: no access key, same-origin only, no trusted proxies, the app from
    /// `dist` (if given). Pins and budgets are kept in the inventory's store; each device's
    /// budget is the inventory's.
    pub fn new(inventory: Inventory, dist: Option<PathBuf>) -> Self {
        let limits = Limits::default();
        let store = inventory.store().clone();
        Self {
            inventory: Arc::new(inventory),
            app_files: dist.map(AppFiles::Dir),
            access: Arc::new(AccessPolicy::default()),
            proxies: Arc::new(ProxyPolicy::default()),
            key_failures: Arc::new(KeyFailures::new(store.clone())),
            budgets: Arc::new(DeviceBudgets::new(store.clone())),
            store,
            readiness: Arc::new(Readiness::default()),
            metrics: Arc::new(Metrics::default()),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            in_flight_shares: in_flight_shares(&limits),
            connection_shares: connection_shares(&limits),
            limits,
            bound: None,
        }
    }

    pub fn with_access(mut self, access: AccessPolicy) -> Self {
        self.access = Arc::new(access);
        self
    }

    /// Trust `proxies` to say who the client is.
    pub fn with_proxies(mut self, proxies: ProxyPolicy) -> Self {
        self.proxies = Arc::new(proxies);
        self
    }

    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.limits.max_body = max_body;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
        self.in_flight_shares = in_flight_shares(&limits);
        self.connection_shares = connection_shares(&limits);
        self.limits = limits;
        self
    }

    pub fn with_app_files(mut self, files: Option<AppFiles>) -> Self {
        self.app_files = files;
        self
    }
}

/// A share is never more than its cap (a test's `Limits { max_connections: 2, .. }` keeps the
/// default share of 256, and behaves as a cap of 2).
fn in_flight_shares(limits: &Limits) -> Arc<FairShare> {
    FairShare::new(limits.max_in_flight_per_client.min(limits.max_in_flight))
}

fn connection_shares(limits: &Limits) -> Arc<FairShare> {
    FairShare::new(
        limits
            .max_connections_per_client
            .min(limits.max_connections),
    )
}

impl FromRef<AppState> for Guard {
    fn from_ref(state: &AppState) -> Self {
        Guard {
            access: state.access.clone(),
            key_failures: state.key_failures.clone(),
            bound: state.bound,
        }
    }
}

impl FromRef<AppState> for Arc<ProxyPolicy> {
    fn from_ref(state: &AppState) -> Self {
        state.proxies.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}
