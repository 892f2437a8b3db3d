//! The token collection and single tokens: list, re-time, delete, ownership and limits.

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;

use crate::common::{Sim, assert_framework_error, status_json};

const TOKENS: &str = "/mgmt/shared/authz/tokens";

#[tokio::test]
async fn patch_timeout_moves_expiration_and_caps_at_36000() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let login = sim.f5_login("foo", "fooPass").await;
    let token = login["token"]["token"].as_str().unwrap().to_owned();
    let expires = login["token"]["expirationMicros"].as_i64().unwrap();
    let path = format!("{TOKENS}/{token}");
    let (status, body) = status_json(
        sim.patch(&path)
            .header("X-F5-Auth-Token", &token)
            .json(&json!({"timeout": 4200}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["timeout"], 4200);
    assert_eq!(
        body["expirationMicros"].as_i64().unwrap(),
        expires + 3_000_000_000
    );
    sim.advance(4199);
    let still = sim
        .get(&path)
        .header("X-F5-Auth-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), StatusCode::OK);

    let (status, body) = status_json(
        sim.patch(&path)
            .header("X-F5-Auth-Token", &token)
            .json(&json!({"timeout": 36001}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert_framework_error(
        &body,
        406,
        "Auth-token absolute timeout (36000 seconds) exceeded",
    );
}

#[tokio::test]
async fn put_with_the_whole_token_object_retimes_it_like_f5_sdk_update() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("admin", "admin").await;
    let path = format!("{TOKENS}/{token}");
    let mut object: serde_json::Value = sim
        .get(&path)
        .header("X-F5-Auth-Token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    object["timeout"] = json!(3600);
    let (status, body) = status_json(
        sim.put(&path)
            .header("X-F5-Auth-Token", &token)
            .json(&object)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["timeout"], 3600);
}

#[tokio::test]
async fn the_collection_lists_tokens_and_admin_can_delete_all() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let admin = sim.token("admin", "admin").await;
    let foo = sim.token("foo", "fooPass").await;

    let (_, as_admin) = status_json(
        sim.get(TOKENS)
            .header("X-F5-Auth-Token", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        as_admin["kind"],
        "shared:authz:tokens:authtokencollectionstate"
    );
    assert_eq!(as_admin["items"].as_array().unwrap().len(), 2);
    let (_, as_foo) = status_json(
        sim.get(TOKENS)
            .header("X-F5-Auth-Token", &foo)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let items = as_foo["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["token"], foo.as_str());

    let (status, body) = status_json(
        sim.delete(TOKENS)
            .header("X-F5-Auth-Token", &foo)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Authorization failed"),
        "{body}"
    );

    // As in the seed: `curl -sku admin:admin …/tokens -X DELETE`.
    let deleted = sim
        .delete(TOKENS)
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let (status, body) = status_json(
        sim.get(TOKENS)
            .header("X-F5-Auth-Token", &foo)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token does not exist.");
    let (_, empty) = status_json(
        sim.get(TOKENS)
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        empty.get("items").is_none(),
        "empty collections omit items: {empty}"
    );
}

#[tokio::test]
async fn non_admins_manage_only_their_own_tokens() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let admin = sim.token("admin", "admin").await;
    let foo = sim.token("foo", "fooPass").await;
    let theirs = format!("{TOKENS}/{admin}");
    for request in [
        sim.get(&theirs),
        sim.patch(&theirs).json(&json!({"timeout": 600})),
        sim.delete(&theirs),
    ] {
        let (status, body) = status_json(
            request
                .header("X-F5-Auth-Token", &foo)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["code"], 400);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Authorization failed"),
            "{body}"
        );
    }
    // The administrator may manage foo's token.
    let foo_path = format!("{TOKENS}/{foo}");
    let ok = sim
        .get(&foo_path)
        .header("X-F5-Auth-Token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_your_own_token_ends_it() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("foo", "fooPass").await;
    let path = format!("{TOKENS}/{token}");
    let (status, body) = status_json(
        sim.delete(&path)
            .header("X-F5-Auth-Token", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token"], token.as_str());
    let (status, body) = status_json(
        sim.get(TOKENS)
            .header("X-F5-Auth-Token", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token does not exist.");
}

#[tokio::test]
async fn a_user_holds_at_most_100_tokens_but_admin_is_exempt() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let mut first = String::new();
    for i in 0..100 {
        let token = sim.token("foo", "fooPass").await;
        if i == 0 {
            first = token;
        }
        sim.token("admin", "admin").await;
    }
    let login = json!({"username": "foo", "password": "fooPass", "loginProviderName": "tmos"});
    let (status, body) = status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&login)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_framework_error(
        &body,
        400,
        "user foo has reached maximum active login tokens",
    );
    sim.token("admin", "admin").await;

    // Deleting one frees a slot; so does expiry.
    let freed = sim
        .delete(&format!("{TOKENS}/{first}"))
        .header("X-F5-Auth-Token", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(freed.status(), StatusCode::OK);
    sim.token("foo", "fooPass").await;
    sim.advance(1200);
    sim.token("foo", "fooPass").await;
}
