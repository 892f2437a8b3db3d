//! Simulated F5 BIG-IQ: login with JWT access and refresh tokens, token exchange, token
//! deletion (logout), and the device-info, device-stats and managed-BIG-IP endpoints.

mod auth;
mod authz;
mod devices;
mod jwt;
mod login;
mod revocations;
mod tokens;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};

use crate::rest_error;
use crate::{SimConfig, User};

pub use login::login_provider;
pub use tokens::{ACCESS_TIMEOUT_SECS, REFRESH_TIMEOUT_SECS};

/// The BIG-IQ version the simulated device runs.
pub const VERSION: &str = "8.3.0";

/// Shared state of one simulated BIG-IQ. Tokens are self-contained JWTs, so the state is the
/// signing key, a generation counter and the tokens deleted before their end.
#[derive(Clone)]
pub struct BigIq {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    signer: jwt::Signer,
    generation: AtomicU64,
    revocations: Mutex<revocations::Revocations>,
    /// When the device "booted", for uptime.
    started_micros: i64,
}

impl BigIq {
    pub fn new(config: SimConfig) -> Self {
        let started_micros = config.clock.now_micros();
        Self {
            inner: Arc::new(Inner {
                config,
                signer: jwt::Signer::generate(),
                generation: AtomicU64::new(1),
                revocations: Mutex::default(),
                started_micros,
            }),
        }
    }

    fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    fn user(&self, name: &str) -> Option<&User> {
        self.inner.config.users.iter().find(|u| u.name == name)
    }

    fn remote_providers(&self) -> &[String] {
        &self.inner.config.remote_providers
    }

    fn next_generation(&self) -> u64 {
        self.inner.generation.fetch_add(1, Ordering::Relaxed)
    }

    fn revocations(&self) -> MutexGuard<'_, revocations::Revocations> {
        self.inner
            .revocations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A token this device issued, of `kind` (any when `None`), not expired and not deleted.
    /// A deleted token reads as one that does not exist.
    fn live_token(
        &self,
        token: &str,
        kind: Option<tokens::TokenType>,
    ) -> Result<tokens::Checked, tokens::BigIqTokenError> {
        let checked = tokens::check(&self.inner.signer, token, kind, self.now_micros())?;
        if self.revocations().is_revoked(&checked.jti) {
            return Err(tokens::BigIqTokenError::Unknown);
        }
        Ok(checked)
    }
}

/// All BIG-IQ routes.
pub fn router(state: BigIq) -> Router {
    let routes = Router::new()
        .route("/mgmt/shared/authn/login", post(login::login))
        .route("/mgmt/shared/authn/exchange", post(login::exchange))
        .route(
            "/mgmt/shared/authz/tokens/{token}",
            get(authz::get_token).delete(authz::delete_token),
        )
        .route("/mgmt/shared/echo-query", get(devices::echo_query))
        .route(
            "/mgmt/shared/identified-devices/config/device-info",
            get(devices::device_info),
        )
        .route(
            "/mgmt/shared/diagnostics/device-stats",
            get(devices::device_stats),
        )
        .route(
            "/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices",
            get(devices::managed_devices),
        )
        .route(
            "/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices/{uuid}",
            get(devices::managed_device),
        )
        .method_not_allowed_fallback(rest_error::method_not_allowed)
        .fallback(rest_error::unknown_path)
        .with_state(state);
    crate::paths::accepting_trailing_slashes(routes)
}
