//! The relay's endpoints, one `router()` per family, merged in [`all`]: `devices` (the
//! inventory, ad-hoc devices, `/api/info`), `trust` (probe and pin), `ops` (`/livez`,
//! `/readyz`, `/healthz`, `/metrics`), and `app_files` (the console); and `forward` (one call
//! to one device, in phases), which the front dispatches itself rather than through the router.
//! `extract` holds the extractors whose rejections are relay errors.

pub mod app_files;
pub mod devices;
pub mod extract;
pub mod forward;
pub mod ops;
pub mod trust;

use axum::Router;
use axum::http::Method;

use crate::error::RelayError;
use crate::state::AppState;

async fn api_not_found() -> RelayError {
    RelayError::BadRequest("there is no such relay API endpoint".into())
}

async fn api_method_not_allowed(method: Method) -> RelayError {
    RelayError::MethodNotAllowed {
        method: method.as_str().chars().take(32).collect(),
        allowed: "GET, POST",
    }
}

/// Every router, merged, with its state. Forwards (`/api/devices/{id}/fwd/…`) are the
/// front's to dispatch ([`forward::forward`]).
pub fn all(state: AppState) -> Router {
    let api = Router::new()
        .merge(devices::router())
        .merge(trust::router())
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed);
    let relay = Router::new()
        .merge(ops::router())
        .nest("/api", api)
        .merge(app_files::router(&state));
    relay.with_state(state)
}
