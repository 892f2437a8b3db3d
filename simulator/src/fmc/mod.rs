//! Simulated Cisco Firepower Management Center REST API: token generation, refresh and
//! revocation, server version, and host objects per domain, with FMC's rate limit.

mod auth;
mod deployment;
mod device_records;
mod domains;
mod error;
mod extract;
mod host_store;
mod hosts;
mod info;
mod paging;
mod rate_limit;
mod sessions;
mod state;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::config::SimConfig;
use crate::guard::DeviceGuard;
use crate::server::ServerLimits;

pub use domains::{DOMAINS, Domain};
pub use error::{FMC_BODY_LIMIT, FmcError};
pub use paging::PageRequest;
pub use rate_limit::REQUESTS_PER_MINUTE;
pub use sessions::{MAX_REFRESHES, TOKEN_LIFETIME_SECS};
pub use state::Fmc;

/// Requests an FMC serves at once ("10 concurrent connections" in device-apis.md).
///
/// The simulator counts requests in progress on the device — across all clients and
/// connections — rather than TCP connections: FMC's limits answer in HTTP (429), a client's
/// idle pooled connections cost the device nothing, and the relay and browsers keep such
/// pools. The 11th concurrent request is refused at once with 429 `Retry-After: 1` in FMC's
/// error shape and `Connection: close` (its body is not read); the ten in progress are
/// unaffected. Cisco documents the limit per client address; the simulator, like the issue
/// that asked for it, applies it per device (behind one relay that is the same thing).
pub const MAX_CONCURRENT_REQUESTS: usize = 10;

/// How an FMC takes requests: bodies up to [`FMC_BODY_LIMIT`] (422 above), at most
/// [`MAX_CONCURRENT_REQUESTS`] at once, refusals in FMC's error shape.
pub fn device_guard(limits: &ServerLimits) -> DeviceGuard {
    DeviceGuard {
        body_limit: FMC_BODY_LIMIT,
        max_in_flight: MAX_CONCURRENT_REQUESTS.min(limits.max_requests_in_flight),
        refuse: error::refuse,
    }
}

/// A simulated FMC: its routes and how it takes requests ([`device_guard`]).
pub fn device(config: &SimConfig) -> (Router, DeviceGuard) {
    (
        router(Fmc::new(config.clone())),
        device_guard(&config.limits),
    )
}

/// All FMC routes.
pub fn router(state: Fmc) -> Router {
    const HOSTS: &str = "/api/fmc_config/v1/domain/{domain}/object/hosts";
    let routes = Router::new()
        .route(
            "/api/fmc_platform/v1/auth/generatetoken",
            post(auth::generate),
        )
        .route(
            "/api/fmc_platform/v1/auth/refreshtoken",
            post(auth::refresh),
        )
        .route("/api/fmc_platform/v1/auth/revokeaccess", post(auth::revoke))
        .route(
            "/api/fmc_platform/v1/info/serverversion",
            get(info::server_version),
        )
        .route("/api/fmc_platform/v1/info/domain", get(info::domains))
        .route(
            "/api/fmc_config/v1/domain/{domain}/deployment/deployabledevices",
            get(deployment::deployable_devices),
        )
        .route(
            "/api/fmc_config/v1/domain/{domain}/devices/devicerecords",
            get(device_records::list),
        )
        .route(
            "/api/fmc_config/v1/domain/{domain}/devices/devicerecords/{id}",
            get(device_records::get_one),
        )
        .route(HOSTS, get(hosts::list).post(hosts::create))
        .route(
            &format!("{HOSTS}/{{id}}"),
            get(hosts::get_one).put(hosts::update).delete(hosts::delete),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_path)
        .with_state(state);
    crate::paths::accepting_trailing_slashes(routes)
}

async fn unknown_path(request: Request) -> Response {
    FmcError::NotFound(format!(
        "The requested URL {} was not found.",
        request.uri().path()
    ))
    .into_response()
}

async fn method_not_allowed(method: Method) -> Response {
    FmcError::MethodNotAllowed(method.to_string()).into_response()
}
