//! Simulated F5 BIG-IQ: login with JWT access and refresh tokens, token exchange, token
//! deletion (logout), and the device-info, device-stats and managed-BIG-IP endpoints.

mod auth;
mod authz;
mod devices;
mod jwt;
mod login;
mod revocations;
mod state;
mod tokens;

use axum::Router;
use axum::routing::{get, post};

use crate::config::SimConfig;
use crate::f5_extract;
use crate::guard::DeviceGuard;
use crate::rest_error;

pub use devices::VERSION;
pub use login::login_provider;
pub use state::BigIq;
pub use tokens::{ACCESS_TIMEOUT_SECS, REFRESH_TIMEOUT_SECS};

/// A simulated BIG-IQ: its routes and how it takes requests (bodies up to
/// `F5_BODY_LIMIT`, refusals in the REST framework's shape).
pub fn device(config: &SimConfig) -> (Router, DeviceGuard) {
    (
        router(BigIq::new(config.clone())),
        f5_extract::device_guard(&config.limits),
    )
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
