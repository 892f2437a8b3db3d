//! HTTP/1 keep-alive held under load. A device that answers before reading a request's body
//! (a 401, a 429) must not then close the connection unannounced: a client that already sent
//! its next request on it would see that request go unanswered (python-requests writes a
//! body separately from its head, which is how a third-party FMC client met this).

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;
use tokio::task::JoinSet;

use crate::common::Sim;
use crate::common::raw::{Raw, request};

const GLOBAL: &str = "e276abec-e0f2-11e3-8169-6d9ed49b625f";

#[tokio::test]
async fn a_request_after_an_early_refusal_is_answered_on_the_same_connection() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let mut raw = Raw::connect(&sim.device).await;
    let hosts = format!("/api/fmc_config/v1/domain/{GLOBAL}/object/hosts");
    let body = r#"{"name":"web01","value":"10.1.1.1","type":"Host"}"#;
    let first = request("POST", &hosts, &[("X-auth-access-token", "stale")], body);
    // The head first; the body in a second write, once the device has had time to answer.
    raw.send(&first[..first.len() - body.len()]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = request(
        "GET",
        "/api/fmc_platform/v1/info/serverversion",
        &[("X-auth-access-token", "stale")],
        "",
    );
    raw.send(format!("{body}{second}")).await.unwrap();
    let one = raw.response().await.expect("the first answer");
    assert_eq!(one.status, 401);
    assert_eq!(one.header("connection"), None, "{:?}", one.headers);
    let two = raw
        .response()
        .await
        .expect("the second request on the connection is answered");
    assert_eq!(two.status, 401);
    assert_eq!(sim.device.connections().accepted(), 1);
}

/// One client: a single connection carrying `calls` requests one after another, each body
/// written separately from its head (as python-requests does). Returns how many were
/// answered on that connection.
async fn sequential(mut raw: Raw, calls: Vec<(String, String)>) -> usize {
    let mut answered = 0;
    for (head, body) in calls {
        raw.send(head).await.expect("the connection is open");
        if !body.is_empty() {
            raw.send(body).await.expect("the connection is open");
        }
        let reply = raw.response().await.expect("every request is answered");
        assert_ne!(reply.header("connection"), Some("close"), "{reply:?}");
        answered += 1;
    }
    answered
}

/// `clients` clients, each on its own connection with its own list of requests, all at once;
/// every request must be answered and no client may need a second connection.
async fn many_clients(sim: &Sim, requests: Vec<Vec<(String, String)>>) {
    let accepted_before = sim.device.connections().accepted();
    let (clients, total) = (requests.len(), requests.iter().map(Vec::len).sum::<usize>());
    let mut tasks = JoinSet::new();
    for calls in requests {
        tasks.spawn(sequential(Raw::connect(&sim.device).await, calls));
    }
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        answered += done.unwrap();
    }
    assert_eq!(answered, total);
    assert_eq!(
        sim.device.connections().accepted() - accepted_before,
        clients as u64,
        "each client kept its one connection"
    );
}

/// A request split into its head and its body.
fn split(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (String, String) {
    let text = request(method, path, headers, body);
    let (head, body) = text.split_at(text.len() - body.len());
    (head.to_owned(), body.to_owned())
}

#[tokio::test]
async fn fmc_clients_each_on_one_connection_see_every_request_answered() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let token = sim.fmc_token("admin", "admin").await;
    let hosts = format!("/api/fmc_config/v1/domain/{GLOBAL}/object/hosts");
    let version = "/api/fmc_platform/v1/info/serverversion";
    let requests = (0..8)
        .map(|c| {
            (0..150)
                .map(|n| match n % 3 {
                    // 200 until the shared per-user budget runs out, then 429.
                    0 => split("GET", version, &[("X-auth-access-token", &token)], ""),
                    // Refused (401) by a handler that never looks at the body.
                    1 => split(
                        "POST",
                        &hosts,
                        &[("X-auth-access-token", "stale")],
                        &json!({"name": format!("c{c}-{n}"), "value": "10.0.0.1"}).to_string(),
                    ),
                    // A paged read, 200 or 429.
                    _ => split(
                        "GET",
                        &format!("{hosts}?limit=5&offset={n}"),
                        &[("X-auth-access-token", &token)],
                        "",
                    ),
                })
                .collect()
        })
        .collect();
    many_clients(&sim, requests).await;
}

#[tokio::test]
async fn bigip_clients_each_on_one_connection_see_every_request_answered() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let requests = (0..32)
        .map(|c| {
            (0..60)
                .map(|n| match n % 3 {
                    0 => split(
                        "GET",
                        "/mgmt/tm/sys/version",
                        &[("X-F5-Auth-Token", &token)],
                        "",
                    ),
                    1 => split(
                        "POST",
                        "/mgmt/shared/echo",
                        &[("X-F5-Auth-Token", &token)],
                        &json!({"client": c, "call": n, "pad": "x".repeat(20_000)}).to_string(),
                    ),
                    _ => split(
                        "POST",
                        "/mgmt/tm/ltm/node",
                        &[("X-F5-Auth-Token", "STALE")],
                        &json!({"name": format!("n{c}-{n}"), "address": "10.0.0.1"}).to_string(),
                    ),
                })
                .collect()
        })
        .collect();
    many_clients(&sim, requests).await;
    let echoed = sim
        .post("/mgmt/shared/echo")
        .header("X-F5-Auth-Token", &token)
        .json(&json!({"a": [1, 2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), StatusCode::OK);
    assert_eq!(
        echoed.json::<serde_json::Value>().await.unwrap(),
        json!({"a": [1, 2]})
    );
}
