//! The two error shapes of iControl REST (BIG-IP and BIG-IQ).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::guard::Refusal;
use crate::payload::PayloadError;

static OPERATION_ID: AtomicU64 = AtomicU64::new(166_493_500);

/// An error reply of a BIG-IP or BIG-IQ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum F5Error {
    /// REST framework errors (authentication, routing, request bodies):
    /// `{"code","message","referer","restOperationId","kind":":resterrorresponse"}`.
    #[error("{message}")]
    Framework {
        status: StatusCode,
        message: String,
        referer: String,
    },
    /// Configuration (tmsh/mcpd) errors: `{"code","message","errorStack":[],"apiError"}`.
    #[error("{message}")]
    Configuration {
        status: StatusCode,
        message: String,
        api_error: u8,
    },
}

impl F5Error {
    pub fn framework(status: StatusCode, message: impl Into<String>, referer: &str) -> Self {
        F5Error::Framework {
            status,
            message: message.into(),
            referer: referer.to_owned(),
        }
    }

    /// A configuration error with `apiError` 3, the value mcpd validation errors carry.
    pub fn configuration(status: StatusCode, message: impl Into<String>) -> Self {
        F5Error::Configuration {
            status,
            message: message.into(),
            api_error: 3,
        }
    }

    /// A refused request body, reported by the REST framework as a 400 (413 when too big).
    pub fn payload(err: &PayloadError, referer: &str) -> Self {
        let status = match err {
            PayloadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::framework(status, err.to_string(), referer)
    }

    /// Unknown path. Under `/mgmt/tm/` mcpd answers 404 "Public URI path not registered";
    /// elsewhere the REST framework answers 404 naming the URI. Both texts follow observed
    /// device replies; the exact wording is unverified.
    pub fn unknown_path(path: &str, referer: &str) -> Self {
        match path.strip_prefix("/mgmt/tm") {
            Some(rest) => F5Error::Configuration {
                status: StatusCode::NOT_FOUND,
                message: format!("Public URI path not registered: {rest}"),
                api_error: 1,
            },
            None => Self::framework(
                StatusCode::NOT_FOUND,
                format!(
                    "URI path {path} not registered.  Please verify URI is supported and wait for /available suffix to be responsive."
                ),
                referer,
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            F5Error::Framework { status, .. } | F5Error::Configuration { status, .. } => *status,
        }
    }
}

impl IntoResponse for F5Error {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            F5Error::Framework {
                status,
                message,
                referer,
            } => (
                status,
                json!({
                    "code": status.as_u16(),
                    "message": message,
                    "referer": referer,
                    "restOperationId": OPERATION_ID.fetch_add(1, Ordering::Relaxed),
                    "kind": ":resterrorresponse",
                }),
            ),
            F5Error::Configuration {
                status,
                message,
                api_error,
            } => (
                status,
                json!({
                    "code": status.as_u16(),
                    "message": message,
                    "errorStack": [],
                    "apiError": api_error,
                }),
            ),
        };
        (status, Json(body)).into_response()
    }
}

/// A REST framework error response.
pub fn framework(status: StatusCode, message: impl Into<String>, referer: &str) -> Response {
    F5Error::framework(status, message, referer).into_response()
}

/// A configuration error response.
pub fn configuration(status: StatusCode, message: impl Into<String>) -> Response {
    F5Error::configuration(status, message).into_response()
}

/// Fallback for paths no route serves, on BIG-IP and BIG-IQ.
pub async fn unknown_path(request: Request) -> Response {
    let (parts, _) = request.into_parts();
    F5Error::unknown_path(parts.uri.path(), &crate::peer::peer_of(&parts)).into_response()
}

/// The REST framework's answer to a verb a resource does not support (wording unverified).
pub async fn method_not_allowed(method: Method, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    F5Error::framework(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {method} is not supported on {}", parts.uri.path()),
        &crate::peer::peer_of(&parts),
    )
    .into_response()
}

/// A BIG-IP's or BIG-IQ's answer when it will not take a request at all, in the REST
/// framework's shape (the texts are unverified): 503 with `Retry-After` when too many requests
/// are in progress, 413 for a body over the limit, 408 for a body that did not arrive in time.
pub fn refuse(refusal: &Refusal, parts: &Parts) -> Response {
    let (status, message) = match refusal {
        Refusal::Busy { limit } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("The REST service is busy with {limit} requests in progress; retry later."),
        ),
        Refusal::TooLarge { limit } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            PayloadError::TooLarge { limit: *limit }.to_string(),
        ),
        Refusal::BodyTimeout { after } => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "The request body was not received within {} seconds.",
                after.as_secs()
            ),
        ),
        Refusal::Unreadable => (
            StatusCode::BAD_REQUEST,
            PayloadError::Unreadable.to_string(),
        ),
    };
    let mut response =
        F5Error::framework(status, message, &crate::peer::peer_of(parts)).into_response();
    if matches!(refusal, Refusal::Busy { .. }) {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    response
}
