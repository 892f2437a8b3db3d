//! Phases 2 and 4 of a forward, the header filters: only allowlisted headers cross the relay,
//! in either direction, and secret headers are marked so no log line or debug output shows
//! their values. The lists are every kind's, joined once in `shared`
//! (`shared::devices::headers`: the neutral headers and each kind's profile's), so a new kind's
//! headers cross without a change here. Pure functions over `HeaderMap`s (fuzz targets and
//! property tests call them: `crate::properties::check_header_filters`).
//!
//! Names are compared as `HeaderName::as_str` gives them, lower case, against the lower-case
//! lists: no allocation, no case folding per header.

use axum::http::HeaderMap;
use shared::devices::headers::{reply_headers, request_headers, secret_headers};

/// Whether a request header (lower case) may reach a device. Everything else (cookies,
/// hop-by-hop headers, `Host`, `Origin`, forwarding headers) is dropped.
pub fn request_header_allowed(name: &str) -> bool {
    request_headers().contains(&name)
}

/// Whether a response header (lower case) may reach the app.
pub fn response_header_allowed(name: &str) -> bool {
    reply_headers().contains(&name)
}

/// Whether a header (lower case) carries a secret.
pub fn is_secret(name: &str) -> bool {
    secret_headers().contains(&name)
}

/// Every request header a device may receive (for CORS).
pub fn allowed_request_headers() -> impl Iterator<Item = &'static str> {
    request_headers().iter().copied()
}

/// Every response header the app may read (for CORS).
pub fn allowed_response_headers() -> impl Iterator<Item = &'static str> {
    reply_headers().iter().copied()
}

/// The client's headers a device may see.
pub fn to_device(from: &HeaderMap) -> HeaderMap {
    filter(from, request_headers())
}

/// The device's headers the client may see.
pub fn to_client(from: &HeaderMap) -> HeaderMap {
    filter(from, reply_headers())
}

fn filter(from: &HeaderMap, allowed: &[&str]) -> HeaderMap {
    // Room for what the way back adds (CORS, security headers, the request id).
    let mut to = HeaderMap::with_capacity(16);
    for (name, value) in from {
        if allowed.contains(&name.as_str()) {
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
    let secrets = secret_headers();
    for (name, value) in headers.iter_mut() {
        if secrets.contains(&name.as_str()) {
            value.set_sensitive(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use shared::devices::profiles;

    #[test]
    fn every_kinds_token_header_crosses_both_ways_it_should_and_is_marked() {
        for profile in profiles() {
            let token = profile.token_header.to_ascii_lowercase();
            assert!(request_header_allowed(&token), "{}", profile.label);
            assert!(is_secret(&token), "{}", profile.label);
            // The lists join every kind's: a rule can only add to what crosses.
            for rule in profile.headers {
                assert!(!rule.direction.request() || request_header_allowed(rule.name));
                assert!(!rule.direction.reply() || response_header_allowed(rule.name));
                assert!(!rule.secret || is_secret(rule.name), "{}", rule.name);
            }
        }
    }

    #[test]
    fn what_never_crosses_is_dropped_and_secrets_are_marked_either_way() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("cookie", "session=1"),
            ("host", "evil.example"),
            ("authorization", "Basic YWRtaW46YWRtaW4="),
            ("content-type", "application/json"),
            ("x-tokendeck-access-key", "k"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        let sent = to_device(&headers);
        assert!(sent.get("cookie").is_none() && sent.get("host").is_none());
        assert!(sent.get("x-tokendeck-access-key").is_none());
        assert_eq!(sent["content-type"], "application/json");
        mark_secrets(&mut headers);
        for secret in ["cookie", "authorization", "x-tokendeck-access-key"] {
            assert!(headers[secret].is_sensitive(), "{secret}");
        }
        assert!(!headers["content-type"].is_sensitive());
    }
}
