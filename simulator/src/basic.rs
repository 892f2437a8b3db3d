//! HTTP Basic credentials, as BIG-IP (local users) and FMC (`generatetoken`) read them.

use axum::http::request::Parts;
use base64::Engine;

/// `user:password` from an `Authorization: Basic …` header, if there is one.
pub fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    basic_credentials_from(
        parts
            .headers
            .get(axum::http::header::AUTHORIZATION)?
            .as_bytes(),
    )
}

/// `user:password` from the raw value of an `Authorization` header, if it is Basic. Bad
/// base64 or UTF-8 reads as an empty user (which no account has) rather than failing.
pub fn basic_credentials_from(header: &[u8]) -> Option<(String, String)> {
    let encoded = std::str::from_utf8(header).ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default();
    let (name, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
    Some((name.to_owned(), password.to_owned()))
}
