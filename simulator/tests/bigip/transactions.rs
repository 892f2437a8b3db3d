//! Transactions: queued under `X-F5-REST-Coordination-Id`, committed all-or-nothing.

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;

use crate::common::{Sim, assert_configuration_error, f5_call};

const NODES: &str = "/mgmt/tm/ltm/node";
const COORDINATION: &str = "X-F5-REST-Coordination-Id";

async fn begin(sim: &Sim, token: &str) -> String {
    let (status, body) = f5_call(sim.post("/mgmt/tm/transaction").json(&json!({})), token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "STARTED");
    assert_eq!(body["kind"], "tm:transactionstate");
    body["transId"].as_u64().unwrap().to_string()
}

#[tokio::test]
async fn queued_commands_apply_only_at_commit() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let id = begin(&sim, &token).await;
    for (name, address) in [("a", "10.0.0.1"), ("b", "10.0.0.2")] {
        let (status, queued) = f5_call(
            sim.post(NODES)
                .header(COORDINATION, &id)
                .json(&json!({"name": name, "address": address})),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(queued["method"], "POST");
    }
    let (_, before) = f5_call(sim.get(NODES), &token).await;
    assert!(
        before.get("items").is_none(),
        "nothing applied yet: {before}"
    );
    let (_, commands) = f5_call(
        sim.get(&format!("/mgmt/tm/transaction/{id}/commands")),
        &token,
    )
    .await;
    assert_eq!(commands["items"].as_array().unwrap().len(), 2);

    let (status, done) = f5_call(
        sim.patch(&format!("/mgmt/tm/transaction/{id}"))
            .json(&json!({"state": "VALIDATING"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["state"], "COMPLETED");
    let (_, after) = f5_call(sim.get(NODES), &token).await;
    assert_eq!(after["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_failing_command_rolls_back_the_whole_transaction() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "x", "address": "10.0.0.9"})),
        &token,
    )
    .await;
    let id = begin(&sim, &token).await;
    f5_call(
        sim.post(NODES)
            .header(COORDINATION, &id)
            .json(&json!({"name": "y", "address": "10.0.0.10"})),
        &token,
    )
    .await;
    f5_call(
        sim.patch(&format!("{NODES}/x"))
            .header(COORDINATION, &id)
            .json(&json!({"session": "user-disabled"})),
        &token,
    )
    .await;
    f5_call(
        sim.post(NODES)
            .header(COORDINATION, &id)
            .json(&json!({"name": "x", "address": "10.0.0.11"})),
        &token,
    )
    .await;

    let (status, body) = f5_call(
        sim.patch(&format!("/mgmt/tm/transaction/{id}"))
            .json(&json!({"state": "VALIDATING"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_configuration_error(
        &body,
        400,
        "transaction failed:01020066:3: The requested Node (/Common/x) already exists in partition Common.",
    );
    let (status, _) = f5_call(sim.get(&format!("{NODES}/y")), &token).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "y must not exist after a failed commit"
    );
    let (_, x) = f5_call(sim.get(&format!("{NODES}/x")), &token).await;
    assert_eq!(
        x["session"], "user-enabled",
        "the queued PATCH must not apply"
    );
    let (_, state) = f5_call(sim.get(&format!("/mgmt/tm/transaction/{id}")), &token).await;
    assert_eq!(state["state"], "FAILED");
}

#[tokio::test]
async fn unknown_and_timed_out_transactions_are_refused() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let (status, body) = f5_call(
        sim.post(NODES)
            .header(COORDINATION, "12345")
            .json(&json!({"name": "z", "address": "10.0.0.3"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["kind"], ":resterrorresponse");

    let id = begin(&sim, &token).await;
    sim.advance(121);
    let (status, _) = f5_call(
        sim.patch(&format!("/mgmt/tm/transaction/{id}"))
            .json(&json!({"state": "VALIDATING"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_discarded_transaction_applies_nothing() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let id = begin(&sim, &token).await;
    f5_call(
        sim.post(NODES)
            .header(COORDINATION, &id)
            .json(&json!({"name": "q", "address": "10.0.0.4"})),
        &token,
    )
    .await;
    let reply = sim
        .delete(&format!("/mgmt/tm/transaction/{id}"))
        .header("X-F5-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    let (_, nodes) = f5_call(sim.get(NODES), &token).await;
    assert!(nodes.get("items").is_none());
}

#[tokio::test]
async fn validate_only_checks_without_applying() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let id = begin(&sim, &token).await;
    f5_call(
        sim.post(NODES)
            .header(COORDINATION, &id)
            .json(&json!({"name": "v", "address": "10.0.0.5"})),
        &token,
    )
    .await;
    let path = format!("/mgmt/tm/transaction/{id}");
    let (status, body) = f5_call(
        sim.patch(&path)
            .json(&json!({"state": "VALIDATING", "validateOnly": true})),
        &token,
    )
    .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("STARTED"))
    );
    let (_, nodes) = f5_call(sim.get(NODES), &token).await;
    assert!(nodes.get("items").is_none());
    let (_, done) = f5_call(
        sim.patch(&path).json(&json!({"state": "VALIDATING"})),
        &token,
    )
    .await;
    assert_eq!(done["state"], "COMPLETED");
}
