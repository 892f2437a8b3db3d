//! CORS: only the origins the operator configured (none by default: the app is same-origin),
//! never `*`, no credentials, and Private Network Access preflights answered for those origins
//! only.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use shared::wire::RELAY_ERROR_HEADER;
use tower_http::cors::{AllowOrigin, AllowPrivateNetwork, CorsLayer};

use super::policy::{ACCESS_KEY_HEADER, AccessPolicy};

/// The CORS layer for `policy`'s allowed origins. `request_headers` and `response_headers` are
/// the headers the relay lets cross to and from devices (forwarding's allowlists).
pub fn layer(
    policy: &AccessPolicy,
    request_headers: impl Iterator<Item = &'static str>,
    response_headers: impl Iterator<Item = &'static str>,
) -> CorsLayer {
    let origins: Vec<HeaderValue> = policy
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let private_network_origins = origins.clone();
    let allow_headers = request_headers
        .chain([ACCESS_KEY_HEADER])
        .map(HeaderName::from_static);
    let expose_headers = response_headers
        .chain([RELAY_ERROR_HEADER, "x-request-id"])
        .map(HeaderName::from_static);
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers(allow_headers.collect::<Vec<_>>())
        .expose_headers(expose_headers.collect::<Vec<_>>())
        .allow_private_network(AllowPrivateNetwork::predicate(move |origin, _| {
            private_network_origins.contains(origin)
        }))
        .max_age(Duration::from_secs(600))
}
