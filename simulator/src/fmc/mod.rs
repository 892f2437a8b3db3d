//! Simulated Cisco Firepower Management Center REST API: token generation, refresh and
//! revocation, server version, and host objects per domain, with FMC's rate limit.

mod auth;
mod deployment;
mod error;
mod extract;
mod host_store;
mod hosts;
mod info;
mod rate_limit;
mod sessions;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::{SimConfig, User};

pub use error::{FMC_BODY_LIMIT, FmcError};
pub use rate_limit::REQUESTS_PER_MINUTE;
pub use sessions::{MAX_REFRESHES, TOKEN_LIFETIME_SECS};

/// A domain of the simulated FMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain {
    pub name: &'static str,
    pub uuid: &'static str,
}

/// `Global` (with the UUID every FMC uses for it) and one subdomain.
pub const DOMAINS: [Domain; 2] = [
    Domain {
        name: "Global",
        uuid: "e276abec-e0f2-11e3-8169-6d9ed49b625f",
    },
    Domain {
        name: "Global/Sub",
        uuid: "6f3c1a52-9c4e-11ee-8c90-0242ac120002",
    },
];

/// Shared state of one simulated FMC.
#[derive(Clone)]
pub struct Fmc {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    sessions: Mutex<sessions::SessionStore>,
    limiter: Mutex<rate_limit::RateLimiter>,
    hosts: Mutex<host_store::HostStore>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fmc {
    pub fn new(config: SimConfig) -> Self {
        let now = config.clock.now_micros();
        Self {
            inner: Arc::new(Inner {
                config,
                sessions: Mutex::default(),
                limiter: Mutex::default(),
                hosts: Mutex::new(host_store::HostStore::with_demo_hosts(now)),
            }),
        }
    }

    fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    fn user(&self, name: &str) -> Option<&User> {
        self.inner.config.users.iter().find(|u| u.name == name)
    }

    fn sessions(&self) -> MutexGuard<'_, sessions::SessionStore> {
        locked(&self.inner.sessions)
    }

    /// Count one request of `user` against the per-minute limit.
    fn admit(&self, user: &str) -> Result<(), FmcError> {
        locked(&self.inner.limiter).admit(user, self.now_micros())
    }

    fn hosts(&self) -> MutexGuard<'_, host_store::HostStore> {
        locked(&self.inner.hosts)
    }
}

/// `https://<host the client used>`: FMC writes links with the address it was called on.
pub fn origin(parts: &Parts) -> String {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("https://{host}")
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
