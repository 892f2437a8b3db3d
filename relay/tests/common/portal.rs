//! A team portal as its operator runs it: replicas' `tokendeck.toml` with a shared Redis and
//! its signing key, initialised once; and what a test asks of a replica (a call, a probe, a
//! pin, the pin in use, a metric).

use std::path::PathBuf;
use std::time::Duration;

use super::redis_server::RedisServer;
use super::relay_process::{RelayProcess, init_state, write};
use super::{client, json_at};

/// `tokendeck.toml` for a replica: the shared state, its signing key (in the file
/// `state-signing-key` beside it: [`portal`] writes it), then `devices`.
pub fn config(state: &str, extra: &str, devices: &str) -> String {
    format!(
        "state = \"{state}\"\nstate_signing_key_file = \"state-signing-key\"\nallow_tofu = true\n{extra}\n[limits]\ndrain_delay_ms = 0\n\n{devices}"
    )
}

/// The replicas' shared signing key, as an operator makes it (`openssl rand -base64 32`).
pub const STATE_KEY: &str = "9zUqoGUmZ7lZzSYFj3K2k0pWbq1nmT0W3Rz3sVh1x9E=";

/// A portal's configuration in `dir` (`tokendeck.toml` and its signing key), with its Redis
/// initialised by `relay --init-state`, as the operator does once.
pub async fn portal(dir: &tempfile::TempDir, state: &str, extra: &str, devices: &str) -> PathBuf {
    write(dir, "state-signing-key", &format!("{STATE_KEY}\n"));
    let path = write(dir, "tokendeck.toml", &config(state, extra, devices));
    let (ok, out) = init_state(&path, &[]).await;
    assert!(ok, "{out}");
    assert!(out.contains("initialised"), "{out}");
    path
}

/// The test's own connection to Redis (an operator's `redis-cli`).
pub async fn redis_cli(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url().as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

pub fn tofu_device(id: &str, url: &str) -> String {
    format!(
        "[[devices]]\nid = \"{id}\"\nname = \"{id}\"\nkind = \"bigip\"\nbase_url = \"{url}\"\ntofu = true\n\n"
    )
}

/// The relay error code of a response, if the relay made it.
pub async fn relay_code(response: reqwest::Response) -> Option<String> {
    response.headers().get("x-tokendeck-relay-error")?;
    let body: serde_json::Value = response.json().await.unwrap();
    Some(body["code"].as_str().unwrap().to_owned())
}

pub async fn version(relay: &RelayProcess, id: &str) -> reqwest::Response {
    client()
        .get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
        .send()
        .await
        .unwrap()
}

pub async fn probe(relay: &RelayProcess, id: &str) -> serde_json::Value {
    client()
        .post(relay.url(&format!("/api/devices/{id}/probe")))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub async fn pin(
    relay: &RelayProcess,
    id: &str,
    fingerprint: &serde_json::Value,
) -> reqwest::Response {
    client()
        .post(relay.url(&format!("/api/devices/{id}/trust")))
        .json(&serde_json::json!({ "fingerprint": fingerprint }))
        .send()
        .await
        .unwrap()
}

/// The pin `relay` uses for `id`, if any.
pub async fn pin_in_use(relay: &RelayProcess, id: &str) -> Option<String> {
    let devices = json_at(&relay.url("/api/devices")).await;
    let device = devices.as_array()?.iter().find(|d| d["id"] == id)?;
    (device["trust"]["policy"] == "pin")
        .then(|| device["trust"]["fingerprint"].as_str().unwrap().to_owned())
}

/// Poll `check` until it is true, for at most `limit`; how long it took.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = tokio::time::Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn metric(relay: &RelayProcess, name: &str) -> Option<String> {
    let text = client()
        .get(relay.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_owned))
}
