//! Phases 2 and 4 of a forward, the header filters: only allowlisted headers cross the relay,
//! in either direction, and secret headers are marked so no log line or debug output shows
//! their values. Pure functions over `HeaderMap`s (fuzz targets and property tests call them:
//! `crate::properties::check_header_filters`).

use axum::http::HeaderMap;
use shared::wire::headers::{DEVICE_SECRET_HEADERS, DEVICE_SECRET_REPLY_HEADERS, SECRET_HEADERS};

/// Request headers that may reach a device besides the device credentials
/// (`shared::wire::headers::DEVICE_SECRET_HEADERS`). Everything else (cookies, hop-by-hop
/// headers, `Host`, `Origin`, forwarding headers) is dropped.
const PLAIN_REQUEST_HEADERS: [&str; 3] = ["accept", "content-type", "x-f5-rest-coordination-id"];

/// Response headers that may reach the app besides FMC's token pair
/// (`shared::wire::headers::DEVICE_SECRET_REPLY_HEADERS`).
const PLAIN_RESPONSE_HEADERS: [&str; 8] = [
    "content-type",
    // The device's clock as it shows it: the console's leases follow it (sped-up demos too).
    "date",
    "domain_uuid",
    "domains",
    "global",
    "user_uuid",
    "domain_id",
    "retry-after",
];

/// Whether a request header may reach a device.
pub fn request_header_allowed(name: &str) -> bool {
    PLAIN_REQUEST_HEADERS.contains(&name) || DEVICE_SECRET_HEADERS.contains(&name)
}

/// Whether a response header may reach the app.
pub fn response_header_allowed(name: &str) -> bool {
    PLAIN_RESPONSE_HEADERS.contains(&name) || DEVICE_SECRET_REPLY_HEADERS.contains(&name)
}

/// Every request header a device may receive (for CORS).
pub fn allowed_request_headers() -> impl Iterator<Item = &'static str> {
    PLAIN_REQUEST_HEADERS
        .into_iter()
        .chain(DEVICE_SECRET_HEADERS)
}

/// Every response header the app may read (for CORS).
pub fn allowed_response_headers() -> impl Iterator<Item = &'static str> {
    PLAIN_RESPONSE_HEADERS
        .into_iter()
        .chain(DEVICE_SECRET_REPLY_HEADERS)
}

/// The client's headers a device may see.
pub fn to_device(from: &HeaderMap) -> HeaderMap {
    filter(from, request_header_allowed)
}

/// The device's headers the client may see.
pub fn to_client(from: &HeaderMap) -> HeaderMap {
    filter(from, response_header_allowed)
}

fn filter(from: &HeaderMap, allow: fn(&str) -> bool) -> HeaderMap {
    // Room for what the way back adds (CORS, security headers, the request id).
    let mut to = HeaderMap::with_capacity(16);
    for (name, value) in from {
        if allow(name.as_str()) {
            to.append(name.clone(), value.clone());
        }
    }
    to
}

/// Mark every secret header (`shared`'s one list) sensitive: `Debug` and tracing then show
/// `Sensitive` instead of its value.
///
/// One pass over the headers there are (a handful) rather than a lookup per secret name: a
/// lookup hashes the name and may grow the map first, twice per request.
pub fn mark_secrets(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if SECRET_HEADERS.contains(&name.as_str()) {
            value.set_sensitive(true);
        }
    }
}
