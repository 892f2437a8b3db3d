//! LTM nodes over HTTPS, following the seed 003 session.

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;

use crate::common::{Sim, assert_configuration_error, assert_framework_error, f5_call};

const NODES: &str = "/mgmt/tm/ltm/node";

async fn signed_in() -> (Sim, String) {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    (sim, token)
}

#[tokio::test]
async fn empty_collection_omits_items() {
    let (sim, token) = signed_in().await;
    let (status, body) = f5_call(sim.get(NODES), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["kind"], "tm:ltm:node:nodecollectionstate");
    assert_eq!(
        body["selfLink"],
        "https://localhost/mgmt/tm/ltm/node?ver=17.1.3"
    );
    assert!(body.get("items").is_none(), "{body}");
}

#[tokio::test]
async fn create_fills_defaults_and_get_lists_it() {
    let (sim, token) = signed_in().await;
    let (status, node) = f5_call(
        sim.post(NODES)
            .json(&json!({"name": "Test2", "address": "10.10.10.32"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let expected = json!({
        "kind": "tm:ltm:node:nodestate", "name": "Test2", "partition": "Common",
        "fullPath": "/Common/Test2",
        "selfLink": "https://localhost/mgmt/tm/ltm/node/~Common~Test2?ver=17.1.3",
        "address": "10.10.10.32", "connectionLimit": 0, "dynamicRatio": 1, "ephemeral": "false",
        "fqdn": {"addressFamily": "ipv4", "autopopulate": "disabled", "downInterval": 5, "interval": "3600"},
        "logging": "disabled", "monitor": "default", "rateLimit": "disabled", "ratio": 1,
        "session": "user-enabled", "state": "unchecked",
    });
    let mut without_generation = node.clone();
    assert!(
        without_generation
            .as_object_mut()
            .unwrap()
            .remove("generation")
            .unwrap()
            .is_u64()
    );
    assert_eq!(without_generation, expected);

    let (_, list) = f5_call(sim.get(NODES), &token).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["fullPath"], "/Common/Test2");
}

#[tokio::test]
async fn bare_names_and_tilde_paths_address_the_same_node() {
    let (sim, token) = signed_in().await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "Test", "address": "10.10.10.31"})),
        &token,
    )
    .await;
    let (_, bare) = f5_call(sim.get(&format!("{NODES}/Test")), &token).await;
    assert_eq!(bare["fullPath"], "Test");
    assert!(bare.get("partition").is_none());
    assert_eq!(
        bare["selfLink"],
        "https://localhost/mgmt/tm/ltm/node/Test?ver=17.1.3"
    );
    let (status, full) = f5_call(sim.get(&format!("{NODES}/~Common~Test/")), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(full["fullPath"], "/Common/Test");
    assert_eq!(full["address"], bare["address"]);
}

#[tokio::test]
async fn partitions_are_separate() {
    let (sim, token) = signed_in().await;
    let (status, dev) = f5_call(
        sim.post(NODES)
            .json(&json!({"name": "web", "partition": "Dev", "address": "10.1.0.1"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dev["fullPath"], "/Dev/web");
    assert_eq!(
        dev["selfLink"],
        "https://localhost/mgmt/tm/ltm/node/~Dev~web?ver=17.1.3"
    );
    let (status, _) = f5_call(sim.get(&format!("{NODES}/web")), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, filtered) = f5_call(
        sim.get(NODES).query(&[("$filter", "partition eq Dev")]),
        &token,
    )
    .await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let (_, common) = f5_call(
        sim.get(NODES).query(&[("$filter", "partition eq Common")]),
        &token,
    )
    .await;
    assert!(common.get("items").is_none());
}

#[tokio::test]
async fn select_limits_item_fields_and_keeps_the_query_in_self_link() {
    let (sim, token) = signed_in().await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "Test", "address": "10.10.10.31"})),
        &token,
    )
    .await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "Test2", "address": "10.10.10.32"})),
        &token,
    )
    .await;
    let (_, body) = f5_call(sim.get(NODES).query(&[("$select", "name,address")]), &token).await;
    assert_eq!(
        body,
        json!({
            "kind": "tm:ltm:node:nodecollectionstate",
            "selfLink": "https://localhost/mgmt/tm/ltm/node?%24select=name%2Caddress&ver=17.1.3",
            "items": [{"name": "Test", "address": "10.10.10.31"}, {"name": "Test2", "address": "10.10.10.32"}],
        })
    );
}

#[tokio::test]
async fn missing_and_duplicate_nodes_get_404_and_409() {
    let (sim, token) = signed_in().await;
    let (status, body) = f5_call(sim.get(&format!("{NODES}/~Common~x")), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_configuration_error(
        &body,
        404,
        "01020036:3: The requested Node (/Common/x) was not found.",
    );
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "x", "address": "10.0.0.1"})),
        &token,
    )
    .await;
    let (status, body) = f5_call(
        sim.post(NODES)
            .json(&json!({"name": "x", "address": "10.0.0.2"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_configuration_error(
        &body,
        409,
        "01020066:3: The requested Node (/Common/x) already exists in partition Common.",
    );
}

#[tokio::test]
async fn patch_changes_session_and_state_and_delete_returns_an_empty_200() {
    let (sim, token) = signed_in().await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "Test", "address": "10.10.10.31"})),
        &token,
    )
    .await;
    let path = format!("{NODES}/Test");
    let (status, node) = f5_call(
        sim.patch(&path).json(&json!({"session": "user-disabled"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (node["session"].as_str(), node["state"].as_str()),
        (Some("user-disabled"), Some("unchecked"))
    );
    let (_, node) = f5_call(
        sim.patch(&path).json(&json!({"state": "user-down"})),
        &token,
    )
    .await;
    assert_eq!(
        (node["session"].as_str(), node["state"].as_str()),
        (Some("user-disabled"), Some("user-down"))
    );
    let (status, body) =
        f5_call(sim.patch(&path).json(&json!({"session": "sleepy"})), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 400);

    let reply = sim
        .delete(&path)
        .header("X-F5-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(reply.text().await.unwrap(), "");
    let (status, _) = f5_call(sim.get(&path), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = f5_call(sim.delete(&path), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_bodies_get_framework_errors() {
    let (sim, token) = signed_in().await;
    let (status, body) = f5_call(
        sim.post(NODES)
            .header("Content-Type", "application/json")
            .body("{\"name\": "),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["kind"], ":resterrorresponse");
    let (status, body) = f5_call(
        sim.post(NODES)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("name=x"),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_framework_error(
        &body,
        400,
        "Found invalid content-type. The content-type must be application/json. The received content-type is application/x-www-form-urlencoded",
    );
    let huge = vec![b' '; 5 * 1024 * 1024];
    let (status, body) = f5_call(
        sim.post(NODES)
            .header("Content-Type", "application/json")
            .body(huge),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], 413);
}
