//! FMC simulator over real HTTPS, with a manual clock.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod console_pages;
mod limits;
mod objects;

use reqwest::StatusCode;
use serde_json::Value;

use common::{Sim, with_token};

pub const GLOBAL: &str = "e276abec-e0f2-11e3-8169-6d9ed49b625f";
/// The subdomain `Global/Sub`.
pub const SUB: &str = "6f3c1a52-9c4e-11ee-8c90-0242ac120002";
pub const VERSION: &str = "/api/fmc_platform/v1/info/serverversion";

/// `GET path` with an access token: status and JSON body.
pub async fn get(sim: &Sim, access: &str, path: &str) -> (StatusCode, Value) {
    with_token(sim.get(path), "X-auth-access-token", access).await
}

/// `GET …/info/serverversion`, the cheapest authenticated call.
pub async fn version(sim: &Sim, access: &str) -> (StatusCode, Value) {
    get(sim, access, VERSION).await
}

/// `POST …/auth/refreshtoken` with both tokens of a pair.
pub async fn refresh(sim: &Sim, pair: &Pair) -> reqwest::Response {
    sim.post("/api/fmc_platform/v1/auth/refreshtoken")
        .header("X-auth-access-token", &pair.access)
        .header("X-auth-refresh-token", &pair.refresh)
        .send()
        .await
        .unwrap()
}

/// A token pair from `generatetoken`.
#[derive(Debug, Clone)]
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

pub async fn generate(sim: &Sim, user: &str, password: &str) -> (Pair, reqwest::header::HeaderMap) {
    let reply = sim
        .post("/api/fmc_platform/v1/auth/generatetoken")
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);
    let headers = reply.headers().clone();
    let get = |name: &str| headers[name].to_str().unwrap().to_owned();
    (
        Pair {
            access: get("X-auth-access-token"),
            refresh: get("X-auth-refresh-token"),
        },
        headers,
    )
}

/// Assert FMC's error body with this description.
pub fn assert_fmc_error(body: &Value, description: &str) {
    assert_eq!(body["error"]["category"], "FRAMEWORK", "{body}");
    assert_eq!(body["error"]["severity"], "ERROR", "{body}");
    assert_eq!(
        body["error"]["messages"][0]["description"], description,
        "{body}"
    );
}
