//! FMC's error body:
//! `{"error":{"category":"FRAMEWORK","messages":[{"description":"…"}],"severity":"ERROR"}}`.

use axum::Json;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::guard::Refusal;
use crate::payload::PayloadError;

/// Largest request body FMC accepts; anything bigger is a 422.
pub const FMC_BODY_LIMIT: usize = 2_048_000;

/// An error reply of the simulated FMC. Descriptions marked (unverified) are not from
/// captures of a real device but follow its style.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmcError {
    #[error("Access token invalid.")]
    AccessTokenInvalid,
    #[error("Invalid refresh token")]
    InvalidRefreshToken,
    #[error("User authentication failed")]
    AuthenticationFailed,
    /// 121st request in a minute (description unverified).
    #[error(
        "Too many requests: the limit is {limit} requests per minute per user. Retry after {retry_after_secs} seconds."
    )]
    RateLimited { limit: usize, retry_after_secs: u64 },
    /// More than 10 requests in progress at once (description unverified).
    #[error(
        "Too many concurrent requests: the limit is {limit} simultaneous connections. Retry after 1 seconds."
    )]
    TooManyConcurrent { limit: usize },
    /// The request body did not arrive in time (description unverified).
    #[error("The request body was not received within {0} seconds.")]
    RequestTimeout(u64),
    /// Body above 2,048,000 bytes (description unverified).
    #[error("Payload size exceeds the allowed limit of {FMC_BODY_LIMIT} bytes.")]
    PayloadTooLarge,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Method {0} is not allowed on this resource.")]
    MethodNotAllowed(String),
}

impl FmcError {
    pub fn status(&self) -> StatusCode {
        match self {
            FmcError::AccessTokenInvalid
            | FmcError::InvalidRefreshToken
            | FmcError::AuthenticationFailed => StatusCode::UNAUTHORIZED,
            FmcError::RateLimited { .. } | FmcError::TooManyConcurrent { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            FmcError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            FmcError::PayloadTooLarge => StatusCode::UNPROCESSABLE_ENTITY,
            FmcError::BadRequest(_) => StatusCode::BAD_REQUEST,
            FmcError::NotFound(_) => StatusCode::NOT_FOUND,
            FmcError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

impl From<PayloadError> for FmcError {
    fn from(err: PayloadError) -> Self {
        match err {
            PayloadError::TooLarge { .. } => FmcError::PayloadTooLarge,
            other => FmcError::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for FmcError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "category": "FRAMEWORK",
            "messages": [{"description": self.to_string()}],
            "severity": "ERROR",
        }});
        let retry_after = match self {
            FmcError::RateLimited {
                retry_after_secs, ..
            } => Some(retry_after_secs),
            FmcError::TooManyConcurrent { .. } => Some(1),
            _ => None,
        };
        let mut response = (self.status(), Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

/// FMC's answer when it will not take a request at all: 429 (with `Retry-After: 1`) over its
/// 10-request cap, 422 for a body over 2,048,000 bytes, 408 for a body that did not arrive in
/// time.
pub fn refuse(refusal: &Refusal, _parts: &Parts) -> Response {
    match refusal {
        Refusal::Busy { limit } => FmcError::TooManyConcurrent { limit: *limit },
        Refusal::TooLarge { .. } => FmcError::PayloadTooLarge,
        Refusal::BodyTimeout { after } => FmcError::RequestTimeout(after.as_secs()),
        Refusal::Unreadable => FmcError::BadRequest(PayloadError::Unreadable.to_string()),
    }
    .into_response()
}
