//! `GET /mgmt/shared/echo-query`: the REST framework's liveness check (bigrest calls it to
//! test Basic credentials). The reply body is modelled on the echo worker's state
//! (unverified).

use axum::Json;
use serde_json::{Value, json};

use super::auth::Caller;

pub async fn echo_query(_caller: Caller) -> Json<Value> {
    Json(echo_body())
}

/// The echo worker's state, shared with the BIG-IQ simulator.
pub fn echo_body() -> Value {
    json!({
        "stage": "STARTED",
        "generation": 0,
        "lastUpdateMicros": 0,
        "kind": "shared:echo-query:echorequeststate",
        "selfLink": "https://localhost/mgmt/shared/echo-query",
    })
}
