//! Errors the relay produces itself, each with a stable code and a message that says what to do.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::relay_error::{RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode};

use crate::trust::PinMismatch;

/// A failure of the relay (not of the device behind it).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(
        "There is no device {0:?} in this relay's inventory. Reload the page to see the current list."
    )]
    UnknownDevice(String),
    #[error(
        "Could not connect to {device} at {target}: {detail}. Check that the device is up and reachable from the relay."
    )]
    Unreachable {
        device: String,
        target: String,
        detail: String,
    },
    #[error("The certificate of {device} has CHANGED. The relay pinned {} but the device now presents {}. This could be an attack, or the device's certificate was regenerated; verify the new fingerprint out of band before pinning it again.", .mismatch.expected, .mismatch.presented)]
    PinMismatch {
        device: String,
        mismatch: PinMismatch,
    },
    #[error(
        "The certificate of {device} is not trusted: {detail}. Configure its CA, or pin its fingerprint after checking it."
    )]
    UntrustedCertificate { device: String, detail: String },
    #[error("{device} did not answer within {secs} s. The device may be overloaded; try again.")]
    Timeout { device: String, secs: u64 },
    #[error("The request body is larger than the relay's limit of {limit} bytes.")]
    BodyTooLarge { limit: usize },
    #[error("The relay refuses to forward this path: {0}.")]
    ForbiddenTarget(String),
    #[error("Bad request: {0}.")]
    BadRequest(String),
    #[error("The relay failed unexpectedly. Its log has the details.")]
    Internal(String),
}

impl RelayError {
    fn code(&self) -> RelayErrorCode {
        match self {
            RelayError::UnknownDevice(_) => RelayErrorCode::UnknownDevice,
            RelayError::Unreachable { .. } => RelayErrorCode::DeviceUnreachable,
            RelayError::PinMismatch { .. } => RelayErrorCode::PinMismatch,
            RelayError::UntrustedCertificate { .. } => RelayErrorCode::UntrustedCertificate,
            RelayError::Timeout { .. } => RelayErrorCode::Timeout,
            RelayError::BodyTooLarge { .. } => RelayErrorCode::BodyTooLarge,
            RelayError::ForbiddenTarget(_) => RelayErrorCode::ForbiddenTarget,
            RelayError::BadRequest(_) => RelayErrorCode::BadRequest,
            RelayError::Internal(_) => RelayErrorCode::Internal,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            RelayError::UnknownDevice(_) => StatusCode::NOT_FOUND,
            RelayError::Unreachable { .. }
            | RelayError::PinMismatch { .. }
            | RelayError::UntrustedCertificate { .. } => StatusCode::BAD_GATEWAY,
            RelayError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            RelayError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RelayError::ForbiddenTarget(_) => StatusCode::FORBIDDEN,
            RelayError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RelayError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn device(&self) -> Option<String> {
        match self {
            RelayError::UnknownDevice(device)
            | RelayError::Unreachable { device, .. }
            | RelayError::PinMismatch { device, .. }
            | RelayError::UntrustedCertificate { device, .. }
            | RelayError::Timeout { device, .. } => Some(device.clone()),
            _ => None,
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        if let RelayError::Internal(detail) = &self {
            tracing::error!(%detail, "internal relay error");
        } else {
            tracing::warn!(code = ?self.code(), "{self}");
        }
        let body = RelayErrorBody {
            code: self.code(),
            message: self.to_string(),
            device: self.device(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        response
            .headers_mut()
            .insert(RELAY_ERROR_HEADER, HeaderValue::from_static("1"));
        response
    }
}
