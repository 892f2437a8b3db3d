//! Reading a JSON request body defensively: bounded size, JSON content type, valid JSON.
//!
//! Each device turns a [`PayloadError`] into its own error shape, so malformed or absurd
//! input never reaches a handler and never produces a bare framework rejection.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use serde_json::Value;

/// Why a request body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("Request body exceeds the maximum size of {limit} bytes.")]
    TooLarge { limit: usize },
    #[error(
        "Found invalid content-type. The content-type must be application/json. The received content-type is {0}"
    )]
    NotJsonContentType(String),
    #[error("Found invalid JSON body in the request: {0}")]
    Malformed(String),
    #[error("The request body could not be read.")]
    Unreadable,
}

/// Read at most `limit` bytes of `body` and parse them as JSON (see [`json_body`]).
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Option<Value>, PayloadError> {
    if declared_length(headers).is_some_and(|len| len > limit as u64) {
        return Err(PayloadError::TooLarge { limit });
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|err| {
        if is_length_limit(&err) {
            PayloadError::TooLarge { limit }
        } else {
            PayloadError::Unreadable
        }
    })?;
    let content_type = headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    json_body(content_type, &bytes)
}

/// The `Content-Length` a request declares, if it declares a readable one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Parse a request body as JSON.
///
/// An empty body (or the literal `null`, which some FMC clients send) reads as `None`. A body
/// with a non-JSON `Content-Type` is refused; a body without one is parsed anyway, as curl and
/// many scripts omit it.
pub fn json_body(content_type: Option<&[u8]>, bytes: &[u8]) -> Result<Option<Value>, PayloadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if let Some(content_type) = content_type {
        let text = std::str::from_utf8(content_type).unwrap_or("(not text)");
        let essence = text
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(PayloadError::NotJsonContentType(text.to_owned()));
        }
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Null) => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(err) => Err(PayloadError::Malformed(err.to_string())),
    }
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        headers
    }

    #[tokio::test]
    async fn empty_and_null_bodies_read_as_none() {
        let h = headers(Some("application/json"));
        assert_eq!(read_json(&h, Body::empty(), 10).await, Ok(None));
        assert_eq!(read_json(&h, Body::from("null"), 10).await, Ok(None));
    }

    #[tokio::test]
    async fn refuses_oversized_wrong_typed_and_malformed_bodies() {
        let json = headers(Some("application/json; charset=utf-8"));
        assert_eq!(
            read_json(&json, Body::from("[1,2,3,4,5,6]"), 4).await,
            Err(PayloadError::TooLarge { limit: 4 })
        );
        assert!(matches!(
            read_json(&json, Body::from("{"), 10).await,
            Err(PayloadError::Malformed(_))
        ));
        let form = headers(Some("application/x-www-form-urlencoded"));
        assert!(matches!(
            read_json(&form, Body::from("{}"), 10).await,
            Err(PayloadError::NotJsonContentType(_))
        ));
        assert_eq!(
            read_json(&headers(None), Body::from("{\"a\":1}"), 10).await,
            Ok(Some(serde_json::json!({"a": 1})))
        );
    }
}
