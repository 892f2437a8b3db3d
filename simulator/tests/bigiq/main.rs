//! BIG-IQ simulator over real HTTPS: JWT login, exchange, expiry, logout and the device
//! endpoints.

#[path = "../common/mod.rs"]
mod common;

mod devices;
mod login;
mod logout;
mod tokens;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Sim, status_json};

pub async fn login(sim: &Sim, body: Value) -> (StatusCode, Value) {
    status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn admin_login(sim: &Sim) -> Value {
    let (status, body) = login(sim, json!({"username": "admin", "password": "admin"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub async fn stats(sim: &Sim, token: &str) -> (StatusCode, Value) {
    status_json(
        sim.get("/mgmt/shared/diagnostics/device-stats")
            .header("X-F5-Auth-Token", token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn exchange(sim: &Sim, refresh: &str) -> (StatusCode, Value) {
    status_json(
        sim.post("/mgmt/shared/authn/exchange")
            .basic_auth("None", Some("None"))
            .json(&json!({"refreshToken": {"token": refresh}}))
            .send()
            .await
            .unwrap(),
    )
    .await
}
