//! Path normalisation applied before routing.

use axum::Router;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware;

/// Wrap a device's routes so trailing slashes are dropped *before* routing (a layer on the
/// router itself would run after the route was chosen).
pub fn accepting_trailing_slashes(routes: Router) -> Router {
    Router::new()
        .fallback_service(routes)
        .layer(middleware::map_request(trim_trailing_slash))
}

/// Drop trailing slashes (`/mgmt/tm/sys/` → `/mgmt/tm/sys`): f5-sdk and others send them and
/// the devices accept them. The query string is kept.
pub async fn trim_trailing_slash(mut request: Request) -> Request {
    if let Some(trimmed) = without_trailing_slash(request.uri().path()) {
        let rebuilt = match request.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = rebuilt.parse().ok();
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// The path without its trailing slashes, or `None` when it has none to drop (`/` stays `/`).
pub fn without_trailing_slash(path: &str) -> Option<&str> {
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        Some(if trimmed.is_empty() { "/" } else { trimmed })
    } else {
        None
    }
}
