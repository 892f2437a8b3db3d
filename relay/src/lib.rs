//! The Tokendeck relay: serves the console (the built app in `dist/`, or embedded with the
//! `embed-app` feature) and forwards its calls to the devices in its inventory over TLS, with
//! a trust policy per device.
//!
//! Run it with `cargo run -p relay -- --demo` (simulated devices in-process; the default-on
//! `demo` feature) or `relay --config tokendeck.toml`; `relay --help` documents everything.
//! Tests build the router with [`app`] and serve it on `127.0.0.1:0` with [`serve`].
//!
//! Folders by role (ARCHITECTURE.md has the map), top to bottom: `server/` (the accept loop,
//! the front every request passes, start-up checks), `routes/` (one router per endpoint family,
//! and the forward), `state.rs`, `error/` (relay errors, their responses, the conversions into
//! them), `guard/` (who may call), `admission/` (what lets a request in: load shedding, device
//! budgets, the body deadline, and the body that holds what was admitted), `inventory/`
//! (devices, ad-hoc policy, pins), `trust/` (TLS policies, the client configuration, probe),
//! `replica_store/` (pins and budgets, local or in Redis), `config/` (values); beside them
//! metrics, readiness and the console's files. `properties` (tests, and the fuzz targets in
//! `fuzz/` with the `fuzzing` feature) checks the forwarding path's promises.
//!
//! Vendor facts are not the relay's: each kind's headers, limits and token calls come from its
//! profile in `shared` (`shared::devices::profile`).

pub mod admission;
mod causes;
pub mod config;
pub mod console;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod guard;
pub mod inventory;
pub mod metrics;
#[cfg(any(test, feature = "fuzzing"))]
pub mod properties;
pub mod readiness;
pub mod replica_store;
pub mod routes;
pub mod server;
pub mod state;
pub mod trust;

use axum::Router;

pub use server::startup;
pub use server::{Front, serve};
pub use state::AppState;

/// The access rules under their earlier path (`relay::access::AccessPolicy`).
pub mod access {
    pub use crate::guard::{ACCESS_KEY_HEADER, AccessPolicy, Exposure};
}

/// The whole relay: the routes behind the front (request ids, guards, CORS, load shedding on
/// the API, the error layer, security headers). What [`serve`] runs.
pub fn front(state: AppState) -> Front {
    Front::new(routes::all(state.clone()), state)
}

/// The whole relay as a `Router`, for tests that `oneshot` it or to nest it in another router.
pub fn app(state: AppState) -> Router {
    Router::new().fallback_service(front(state))
}
