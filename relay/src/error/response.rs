//! How a relay error leaves the relay: its response (the shared JSON body, the marker header,
//! `Retry-After` and `Allow` where they apply), and the error layer that logs and counts it
//! once, from the [`LoggedError`] the response carries.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use shared::wire::{RELAY_ERROR_HEADER, RelayErrorBody};

use super::RelayError;
use crate::metrics::Metrics;

/// Put on every relay error response for the error layer: what to count and what to log.
#[derive(Clone, Debug)]
pub struct LoggedError {
    pub code: &'static str,
    pub message: String,
    pub device: Option<String>,
    /// Technical detail for the log only.
    pub detail: Option<String>,
    pub internal: bool,
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let code = self.code();
        let retry_after_secs = self.retry_after_secs();
        let body = RelayErrorBody {
            code,
            message: self.to_string(),
            device: self.device(),
            retry_after_secs,
        };
        let logged = LoggedError {
            code: code.as_str(),
            message: body.message.clone(),
            device: body.device.clone(),
            detail: self.detail(),
            internal: matches!(self, RelayError::Internal(_)),
        };
        let mut response = (self.status(), Json(body)).into_response();
        response.extensions_mut().insert(logged);
        let headers = response.headers_mut();
        headers.insert(RELAY_ERROR_HEADER, HeaderValue::from_static("1"));
        if let Some(secs) = retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let RelayError::MethodNotAllowed { allowed, .. } = self {
            headers.insert(header::ALLOW, HeaderValue::from_static(allowed));
        }
        response
    }
}

/// The error layer: log each relay error once (detail included, message as the user saw it)
/// and count it by code.
pub fn log_relay_error(metrics: &Metrics, response: &Response) {
    if let Some(error) = response.extensions().get::<LoggedError>() {
        metrics.relay_error(error.code);
        // Fields without a value are left out of the line.
        let device = error.device.as_deref();
        let detail = error.detail.as_deref();
        if error.internal {
            tracing::error!(code = error.code, device, detail, "{}", error.message);
        } else {
            tracing::warn!(code = error.code, device, detail, "{}", error.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::CertificateProblem;
    use axum::http::StatusCode;
    use shared::wire::RelayErrorCode;

    #[test]
    fn bodies_carry_the_shared_code_and_the_marker_header() {
        let response = RelayError::AccessKeyRequired.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[RELAY_ERROR_HEADER], "1");
        assert_eq!(
            RelayError::BodyTooLarge { limit: 1 }.code(),
            RelayErrorCode::BodyTooLarge
        );
        let overloaded = RelayError::Overloaded {
            retry_after_secs: 2,
        }
        .into_response();
        assert_eq!(overloaded.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(overloaded.headers()[header::RETRY_AFTER], "2");
    }

    #[test]
    fn messages_keep_transport_internals_for_the_log() {
        let err = RelayError::UntrustedCertificate {
            device: "lab-bigip".into(),
            problem: CertificateProblem::UnknownIssuer,
            detail: "client error (Connect): invalid peer certificate: UnknownIssuer".into(),
        };
        let message = err.to_string();
        assert!(message.contains("lab-bigip"), "{message}");
        for internal in ["client error", "Connect", "UnknownIssuer", "invalid peer"] {
            assert!(!message.contains(internal), "{message}");
        }
        let response = err.into_response();
        let logged = response.extensions().get::<LoggedError>().unwrap();
        assert!(logged.detail.as_deref().unwrap().contains("UnknownIssuer"));
    }
}
