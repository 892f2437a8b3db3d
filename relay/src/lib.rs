//! The Tokendeck relay: serves the console (the built app in `dist/`, or embedded with the
//! `embed-app` feature) and forwards its calls to the devices in its inventory over TLS, with
//! a trust policy per device.
//!
//! Run it with `cargo run -p relay -- --demo` (simulated devices in-process; the default-on
//! `demo` feature) or `relay --config tokendeck.toml`; `relay --help` documents everything.
//! Tests build the router with [`app`] and serve it on `127.0.0.1:0` with [`serve`].
//!
//! Folders by role (ARCHITECTURE.md has the map): `config/` (values), `inventory/` (devices,
//! ad-hoc policy, pins), `trust/` (TLS policies, probe), `guard/` (who may call), `routes/`
//! (one router per endpoint family), `shared_state/` (pins and budgets, local or in Redis), and
//! beside them the device budgets, readiness, start-up checks, the state, errors, metrics, the
//! front (`layers.rs`) and the server (`server.rs`). `properties` (tests, and the fuzz targets
//! in `fuzz/` with the `fuzzing` feature) checks the forwarding path's promises.

pub mod budget;
mod causes;
pub mod config;
pub mod console;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod guard;
pub mod inventory;
pub mod layers;
pub mod metrics;
#[cfg(any(test, feature = "fuzzing"))]
pub mod properties;
pub mod readiness;
pub mod request_body;
pub mod routes;
mod server;
pub mod shared_state;
pub mod startup;
pub mod state;
pub mod trust;

use axum::Router;
use axum::http::Method;

use error::RelayError;
use layers::Front;
pub use state::AppState;

/// The access rules under their earlier path (`relay::access::AccessPolicy`).
pub mod access {
    pub use crate::guard::{ACCESS_KEY_HEADER, AccessPolicy};
}

async fn api_not_found() -> RelayError {
    RelayError::BadRequest("there is no such relay API endpoint".into())
}

async fn api_method_not_allowed(method: Method) -> RelayError {
    RelayError::MethodNotAllowed {
        method: method.as_str().chars().take(32).collect(),
        allowed: "GET, POST",
    }
}

/// The routes: one router per endpoint family, merged here. Forwards
/// (`/api/devices/{id}/fwd/…`) are the front's to dispatch (`routes::forward::forward`).
fn routes(state: AppState) -> Router {
    let api = Router::new()
        .merge(routes::devices::router())
        .merge(routes::trust::router())
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    let relay = Router::new()
        .merge(routes::ops::router())
        .nest("/api", api)
        .merge(routes::app_files::router(&state));
    relay.with_state(state)
}

/// The whole relay: the routes behind the front of `layers.rs` (request ids, guards, CORS,
/// load shedding on the API, the error layer, security headers). What [`serve`] runs.
pub fn front(state: AppState) -> Front {
    Front::new(routes(state.clone()), state)
}

/// The whole relay as a `Router`, for tests that `oneshot` it or to nest it in another router.
pub fn app(state: AppState) -> Router {
    Router::new().fallback_service(front(state))
}

/// Serve [`front`]`(state)` on `listener` until `shutdown` resolves, then finish in-flight
/// requests within `state.limits.shutdown_deadline`. `/readyz` fails from when `shutdown`
/// resolves (a SIGTERM's `shutdown` first waits with [`readiness::Readiness::drain_after`], so
/// it fails earlier, while the relay still serves). Meanwhile the inventory follows the shared
/// state's pins.
///
/// Refuses a non-loopback listener unless an access key is configured or the operator opted out
/// (`insecure_no_access_key`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() && !state.access.requires_key() && !state.access.no_access_key {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to serve on {bound} (not loopback) without an access key"),
        ));
    }
    state.bound = Some(bound);
    let (limits, metrics) = (state.limits, state.metrics.clone());
    let readiness = state.readiness.clone();
    let shutdown = async move {
        shutdown.await;
        readiness.start_draining();
    };
    let follow_pins = tokio::spawn(state.inventory.clone().follow_pins());
    let served = server::run(listener, front(state), limits, metrics, shutdown).await;
    follow_pins.abort();
    served
}
