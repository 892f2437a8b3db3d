//! The two error shapes of iControl REST.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

static OPERATION_ID: AtomicU64 = AtomicU64::new(166_493_500);

/// A REST framework error: `{"code","message","referer","restOperationId","kind"}`.
pub fn framework(status: StatusCode, message: impl Into<String>, referer: &str) -> Response {
    let body = json!({
        "code": status.as_u16(),
        "message": message.into(),
        "referer": referer,
        "restOperationId": OPERATION_ID.fetch_add(1, Ordering::Relaxed),
        "kind": ":resterrorresponse",
    });
    (status, Json(body)).into_response()
}

/// A configuration error: `{"code","message","errorStack","apiError"}`.
pub fn configuration(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "code": status.as_u16(),
        "message": message.into(),
        "errorStack": [],
        "apiError": 3,
    });
    (status, Json(body)).into_response()
}
