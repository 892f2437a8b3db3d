//! `/mgmt/shared/echo-query` (liveness) and `/mgmt/shared/echo` (a POST's JSON sent back),
//! as the framework's echo worker answers them (see `crate::f5_echo`).

use axum::Json;
use serde_json::Value;

use super::auth::Caller;
use crate::f5_echo::echo_state;
use crate::f5_extract::F5Body;

pub async fn echo_query(_caller: Caller) -> Json<Value> {
    Json(echo_state())
}

/// `GET` shows the worker's state; `POST` (or `PUT`) answers with the body it was sent.
pub async fn echo(_caller: Caller, F5Body(body): F5Body) -> Json<Value> {
    Json(body.unwrap_or_else(echo_state))
}
