//! Extractors whose rejections are the relay's own errors: [`TargetDevice`] resolves the
//! `{id}` path segment to an inventory device, [`AppJson`] reads a JSON body.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::admission::deadline::BodyTooSlow;
use crate::causes;
use crate::error::RelayError;
use crate::inventory::Device;
use crate::state::AppState;

/// Largest JSON body the relay's own endpoints read.
pub const API_JSON_LIMIT: usize = 64 * 1024;

/// The device named by the `{id}` segment of `/api/devices/{id}/…`.
pub struct TargetDevice(pub Arc<Device>);

/// The still percent-encoded `{id}` segment of a `/devices/{id}/…` path (with or without the
/// `/api` prefix): the relay's own endpoints for a device (probe, trust). Forwards are read
/// by `shared::wire::ForwardPath`.
fn raw_device_id(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api").unwrap_or(path);
    rest.strip_prefix("/devices/")?.split('/').next()
}

impl TargetDevice {
    /// The device a `/devices/{id}/…` path names (with or without the `/api` prefix).
    pub fn from_path(path: &str, state: &AppState) -> Result<Self, RelayError> {
        Self::by_raw_id(raw_device_id(path).unwrap_or_default(), state)
    }

    /// The device an id names as the client sent it, still percent-encoded (decoded here:
    /// borrowed when there is nothing to decode).
    pub fn by_raw_id(raw: &str, state: &AppState) -> Result<Self, RelayError> {
        let id = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        state
            .inventory
            .get(&id)
            .map(TargetDevice)
            .ok_or_else(|| RelayError::UnknownDevice(id.into_owned()))
    }
}

impl FromRequestParts<AppState> for TargetDevice {
    type Rejection = RelayError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RelayError> {
        Self::from_path(parts.uri.path(), state)
    }
}

/// A JSON body of the relay's API; too large is `413 body_too_large`, malformed `400`.
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = RelayError;

    async fn from_request(request: Request, state: &S) -> Result<Self, RelayError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(AppJson(value))
    }
}

impl From<JsonRejection> for RelayError {
    fn from(rejection: JsonRejection) -> Self {
        if let Some(slow) = causes::find::<BodyTooSlow>(&rejection) {
            return RelayError::BodyTooSlow { secs: slow.secs };
        }
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return RelayError::BodyTooLarge {
                limit: API_JSON_LIMIT,
            };
        }
        RelayError::BadRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_raw_device_id() {
        assert_eq!(raw_device_id("/api/devices/lab/fwd/x"), Some("lab"));
        assert_eq!(raw_device_id("/devices/lab/probe"), Some("lab"));
        assert_eq!(raw_device_id("/devices/%FF/probe"), Some("%FF"));
        assert_eq!(raw_device_id("/api/info"), None);
    }
}
