//! Node names with a route domain (`10.1.1.1%0`, as controllers create them): the `%`
//! travels as `%25` in paths and links, over real HTTPS (issue 9).

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;

use crate::common::{Sim, f5_call};

const NODES: &str = "/mgmt/tm/ltm/node";
/// The node named `10.1.1.1%0`, with its `%` encoded as a path must carry it.
const ENCODED: &str = "/mgmt/tm/ltm/node/~Common~10.1.1.1%250";

#[tokio::test]
async fn a_route_domain_node_is_created_listed_read_changed_and_deleted_by_its_encoded_path() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let (status, created) = f5_call(
        sim.post(NODES)
            .json(&json!({"name": "10.1.1.1%0", "address": "10.1.1.1%0", "partition": "Common"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["name"], "10.1.1.1%0");
    assert_eq!(created["fullPath"], "/Common/10.1.1.1%0");
    assert_eq!(created["address"], "10.1.1.1");

    let (_, list) = f5_call(sim.get(NODES), &token).await;
    let link = list["items"][0]["selfLink"].as_str().unwrap();
    assert_eq!(
        link,
        "https://localhost/mgmt/tm/ltm/node/~Common~10.1.1.1%250?ver=17.1.3"
    );

    // The link, mapped back to the device, reads the node.
    let path = link
        .trim_start_matches("https://localhost")
        .split('?')
        .next()
        .unwrap();
    assert_eq!(path, ENCODED);
    let (status, node) = f5_call(sim.get(path), &token).await;
    assert_eq!(
        (status, node["name"].as_str()),
        (StatusCode::OK, Some("10.1.1.1%0"))
    );

    let (status, changed) = f5_call(
        sim.patch(ENCODED)
            .json(&json!({"session": "user-disabled"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["session"], "user-disabled");
    assert_eq!(changed["selfLink"], list["items"][0]["selfLink"]);

    // The bare form names the same node.
    let (status, bare) = f5_call(sim.get("/mgmt/tm/ltm/node/10.1.1.1%250"), &token).await;
    assert_eq!(
        (status, bare["fullPath"].as_str()),
        (StatusCode::OK, Some("10.1.1.1%0"))
    );

    let (status, _) = f5_call(sim.delete(ENCODED), &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, missing) = f5_call(sim.get(ENCODED), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing["message"],
        "01020036:3: The requested Node (/Common/10.1.1.1%0) was not found."
    );
}

#[tokio::test]
async fn a_transaction_creates_and_changes_a_route_domain_node() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    f5_call(
        sim.post(NODES)
            .json(&json!({"name": "10.2.2.2%0", "address": "10.2.2.2"})),
        &token,
    )
    .await;
    let (_, transaction) = f5_call(sim.post("/mgmt/tm/transaction").json(&json!({})), &token).await;
    let id = transaction["transId"].as_u64().unwrap().to_string();
    let queue = |request: reqwest::RequestBuilder| {
        f5_call(request.header("X-F5-REST-Coordination-Id", &id), &token)
    };
    let (status, queued) = queue(
        sim.post(NODES)
            .json(&json!({"name": "10.1.1.1%0", "address": "10.1.1.1"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queued}");
    let (status, queued) = queue(
        sim.patch("/mgmt/tm/ltm/node/~Common~10.2.2.2%250")
            .json(&json!({"state": "user-down"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{queued}");
    assert_eq!(
        queued["uri"],
        "https://localhost/mgmt/tm/ltm/node/~Common~10.2.2.2%250"
    );
    let (status, done) = f5_call(
        sim.patch(&format!("/mgmt/tm/transaction/{id}"))
            .json(&json!({"state": "VALIDATING"})),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "COMPLETED");
    let (status, created) = f5_call(sim.get(ENCODED), &token).await;
    assert_eq!(
        (status, created["address"].as_str()),
        (StatusCode::OK, Some("10.1.1.1"))
    );
    let (_, changed) = f5_call(sim.get("/mgmt/tm/ltm/node/~Common~10.2.2.2%250"), &token).await;
    assert_eq!(changed["state"], "user-down");
}
