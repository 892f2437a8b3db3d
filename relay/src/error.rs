//! Errors the relay produces itself, each with a stable code and a message that says what to do.
//!
//! The JSON body is `shared::wire::RelayErrorBody`, with the codes of
//! `shared::wire::RelayErrorCode`; see [`RelayError::code`].

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::wire::{RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode};

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
    #[error(
        "The name of {device} ({host}) could not be resolved: {detail}. Check the device's base URL and the relay's DNS."
    )]
    DnsFailure {
        device: String,
        host: String,
        detail: String,
    },
    #[error("The certificate of {device} has CHANGED. The relay pinned {} but the device now presents {} (public key {}). This could be an attack, or the device's certificate was regenerated; verify the new fingerprint out of band before pinning it again.", .mismatch.expected, .mismatch.presented, .mismatch.presented_spki)]
    PinMismatch {
        device: String,
        mismatch: PinMismatch,
    },
    #[error(
        "The certificate of {device} is not trusted: {detail}. Configure its CA, or pin its fingerprint after checking it."
    )]
    UntrustedCertificate { device: String, detail: String },
    #[error("{device} did not answer within {ms} ms. The device may be overloaded; try again.")]
    Timeout { device: String, ms: u128 },
    #[error("The request body is larger than the relay's limit of {limit} bytes.")]
    BodyTooLarge { limit: usize },
    #[error("The relay refuses to forward this path: {0}.")]
    ForbiddenTarget(String),
    #[error("Bad request: {0}.")]
    BadRequest(String),
    #[error("This relay needs its access key. Enter the key your operator gave you.")]
    AccessKeyRequired,
    #[error("The access key is wrong. Check it with your operator.")]
    AccessKeyWrong,
    #[error(
        "Too many wrong access keys from this address. Wait {retry_after_secs} s before trying again."
    )]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "This relay does not answer to the host name {0:?}. Open it by a name its operator configured (allowed_hosts)."
    )]
    HostNotAllowed(String),
    #[error(
        "Requests from the page at {0:?} are not allowed. Open the console from the relay itself, or ask the operator to add the origin to allowed_origins."
    )]
    OriginNotAllowed(String),
    #[error(
        "Trust on first use is switched off on this relay (allow_tofu = false). Ask the operator to pin {0}'s certificate in the configuration."
    )]
    TofuDisabled(String),
    #[error("{device}: {detail}")]
    TrustConflict { device: String, detail: String },
    #[error("The relay failed unexpectedly. Its log has the details.")]
    Internal(String),
}

/// Attached to every relay error response so middleware (metrics) can read the code.
#[derive(Clone, Copy, Debug)]
pub struct RelayErrorCodeTag(pub &'static str);

impl RelayError {
    /// Stable machine-readable code (the wire type lives in `shared`).
    pub fn code(&self) -> RelayErrorCode {
        match self {
            RelayError::UnknownDevice(_) => RelayErrorCode::UnknownDevice,
            RelayError::Unreachable { .. } => RelayErrorCode::DeviceUnreachable,
            RelayError::DnsFailure { .. } => RelayErrorCode::DnsFailure,
            RelayError::PinMismatch { .. } => RelayErrorCode::PinMismatch,
            RelayError::UntrustedCertificate { .. } => RelayErrorCode::UntrustedCertificate,
            RelayError::Timeout { .. } => RelayErrorCode::Timeout,
            RelayError::BodyTooLarge { .. } => RelayErrorCode::BodyTooLarge,
            RelayError::ForbiddenTarget(_) => RelayErrorCode::ForbiddenTarget,
            RelayError::BadRequest(_) => RelayErrorCode::BadRequest,
            RelayError::Internal(_) => RelayErrorCode::Internal,
            RelayError::AccessKeyRequired => RelayErrorCode::AccessKeyRequired,
            RelayError::AccessKeyWrong => RelayErrorCode::AccessKeyWrong,
            RelayError::RateLimited { .. } => RelayErrorCode::RateLimited,
            RelayError::HostNotAllowed(_) => RelayErrorCode::HostNotAllowed,
            RelayError::OriginNotAllowed(_) => RelayErrorCode::OriginNotAllowed,
            RelayError::TofuDisabled(_) => RelayErrorCode::TofuDisabled,
            RelayError::TrustConflict { .. } => RelayErrorCode::TrustConflict,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            RelayError::UnknownDevice(_) => StatusCode::NOT_FOUND,
            RelayError::Unreachable { .. }
            | RelayError::DnsFailure { .. }
            | RelayError::PinMismatch { .. }
            | RelayError::UntrustedCertificate { .. } => StatusCode::BAD_GATEWAY,
            RelayError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            RelayError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RelayError::ForbiddenTarget(_)
            | RelayError::HostNotAllowed(_)
            | RelayError::OriginNotAllowed(_)
            | RelayError::TofuDisabled(_) => StatusCode::FORBIDDEN,
            RelayError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RelayError::AccessKeyRequired | RelayError::AccessKeyWrong => StatusCode::UNAUTHORIZED,
            RelayError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            RelayError::TrustConflict { .. } => StatusCode::CONFLICT,
            RelayError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn device(&self) -> Option<String> {
        match self {
            RelayError::UnknownDevice(device)
            | RelayError::Unreachable { device, .. }
            | RelayError::DnsFailure { device, .. }
            | RelayError::PinMismatch { device, .. }
            | RelayError::UntrustedCertificate { device, .. }
            | RelayError::Timeout { device, .. }
            | RelayError::TofuDisabled(device)
            | RelayError::TrustConflict { device, .. } => Some(device.clone()),
            _ => None,
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        if let RelayError::Internal(detail) = &self {
            tracing::error!(%detail, "internal relay error");
        } else {
            tracing::warn!(code = self.code().as_str(), "{self}");
        }
        let body = RelayErrorBody {
            code: self.code(),
            message: self.to_string(),
            device: self.device(),
            retry_after_secs: match self {
                RelayError::RateLimited { retry_after_secs } => Some(retry_after_secs),
                _ => None,
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        response
            .extensions_mut()
            .insert(RelayErrorCodeTag(self.code().as_str()));
        let headers = response.headers_mut();
        headers.insert(RELAY_ERROR_HEADER, HeaderValue::from_static("1"));
        if let RelayError::RateLimited { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_shared_code_and_the_marker_header() {
        let response = RelayError::AccessKeyRequired.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[RELAY_ERROR_HEADER], "1");
        assert_eq!(
            RelayError::BodyTooLarge { limit: 1 }.code(),
            RelayErrorCode::BodyTooLarge
        );
    }
}
