//! The iControl REST framework's echo worker, which BIG-IP and BIG-IQ both run:
//! `GET /mgmt/shared/echo-query` is the liveness check bigrest calls to test credentials, and
//! `/mgmt/shared/echo` answers a POST with the JSON it was sent. The reply bodies are modelled
//! on the echo worker's state (unverified).

use serde_json::{Value, json};

/// The echo worker's state.
pub fn echo_state() -> Value {
    json!({
        "stage": "STARTED",
        "generation": 0,
        "lastUpdateMicros": 0,
        "kind": "shared:echo-query:echorequeststate",
        "selfLink": "https://localhost/mgmt/shared/echo-query",
    })
}
