//! Errors the relay produces itself, each with a stable code and a message that says what to do.
//!
//! The JSON body has the shape of `shared::relay_error::RelayErrorBody`. The codes that
//! `shared::relay_error::RelayErrorCode` does not know yet (access key, rate limit, Host/Origin
//! refusal, trust-on-first-use) are spelled here; see [`RelayError::code`].

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::relay_error::RELAY_ERROR_HEADER;

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

/// The JSON body; same shape as `shared::relay_error::RelayErrorBody`.
#[derive(Debug, Serialize)]
struct ErrorBody {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    device: Option<String>,
}

impl RelayError {
    /// Stable machine-readable code. The first ten equal `shared`'s `RelayErrorCode` names.
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::UnknownDevice(_) => "unknown_device",
            RelayError::Unreachable { .. } => "device_unreachable",
            RelayError::DnsFailure { .. } => "dns_failure",
            RelayError::PinMismatch { .. } => "pin_mismatch",
            RelayError::UntrustedCertificate { .. } => "untrusted_certificate",
            RelayError::Timeout { .. } => "timeout",
            RelayError::BodyTooLarge { .. } => "body_too_large",
            RelayError::ForbiddenTarget(_) => "forbidden_target",
            RelayError::BadRequest(_) => "bad_request",
            RelayError::Internal(_) => "internal",
            RelayError::AccessKeyRequired => "access_key_required",
            RelayError::AccessKeyWrong => "access_key_wrong",
            RelayError::RateLimited { .. } => "rate_limited",
            RelayError::HostNotAllowed(_) => "host_not_allowed",
            RelayError::OriginNotAllowed(_) => "origin_not_allowed",
            RelayError::TofuDisabled(_) => "tofu_disabled",
            RelayError::TrustConflict { .. } => "trust_conflict",
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
            tracing::warn!(code = self.code(), "{self}");
        }
        let body = ErrorBody {
            code: self.code(),
            message: self.to_string(),
            device: self.device(),
        };
        let mut response = (self.status(), Json(body)).into_response();
        response
            .extensions_mut()
            .insert(RelayErrorCodeTag(self.code()));
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
    use shared::relay_error::RelayErrorCode;

    #[test]
    fn codes_shared_knows_are_spelled_as_shared_spells_them() {
        let pairs = [
            (
                RelayError::UnknownDevice("x".into()),
                RelayErrorCode::UnknownDevice,
            ),
            (
                RelayError::BodyTooLarge { limit: 1 },
                RelayErrorCode::BodyTooLarge,
            ),
            (
                RelayError::ForbiddenTarget("x".into()),
                RelayErrorCode::ForbiddenTarget,
            ),
            (
                RelayError::BadRequest("x".into()),
                RelayErrorCode::BadRequest,
            ),
            (RelayError::Internal("x".into()), RelayErrorCode::Internal),
            (
                RelayError::Timeout {
                    device: "d".into(),
                    ms: 1,
                },
                RelayErrorCode::Timeout,
            ),
            (
                RelayError::DnsFailure {
                    device: "d".into(),
                    host: "h".into(),
                    detail: "x".into(),
                },
                RelayErrorCode::DnsFailure,
            ),
        ];
        for (err, code) in pairs {
            assert_eq!(serde_json::to_value(code).unwrap(), err.code());
        }
    }
}
