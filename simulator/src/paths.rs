//! Path normalisation applied before routing.

use axum::extract::Request;
use axum::http::Uri;

/// Drop trailing slashes (`/mgmt/tm/sys/` → `/mgmt/tm/sys`): f5-sdk and others send them and
/// the devices accept them. The query string is kept.
pub async fn trim_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
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
