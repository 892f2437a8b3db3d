//! Login, token shape, lifetime and the 401 texts.

use reqwest::StatusCode;
use serde_json::json;
use shared::devices::bigip::user_uuid::f5_name_uuid;
use shared::wire::DeviceKind;
use simulator::SimConfig;

use crate::common::{Sim, assert_framework_error, status_json};

#[tokio::test]
async fn login_reply_has_the_documented_shape() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let reply = sim.f5_login("foo", "fooPass").await;
    let token = &reply["token"];
    let value = token["token"].as_str().unwrap();
    assert_eq!(value.len(), 26);
    assert!(
        value
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    assert_eq!(token["name"], value);
    assert_eq!(token["userName"], "foo");
    assert_eq!(token["authProviderName"], "tmos");
    assert_eq!(token["timeout"], 1200);
    assert_eq!(token["address"], "127.0.0.1");
    assert_eq!(token["partition"], "[All]");
    assert_eq!(token["kind"], "shared:authz:tokens:authtokenitemstate");
    assert_eq!(
        token["selfLink"],
        format!("https://localhost/mgmt/shared/authz/tokens/{value}")
    );
    assert_eq!(
        token["user"]["link"],
        "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8"
    );
    let now_ms = sim.clock.now_micros() / 1000;
    assert_eq!(
        token["expirationMicros"].as_i64().unwrap(),
        now_ms * 1000 + 1_200_000_000
    );
    assert!(token["startTime"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(reply["username"], "foo");
    assert_eq!(reply["loginProviderName"], "tmos");
    assert_eq!(
        reply["loginReference"]["link"],
        "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"
    );
    assert_eq!(
        (
            reply["generation"].as_u64(),
            reply["lastUpdateMicros"].as_u64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn login_ignores_http_basic_and_bad_passwords_get_401() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let with_wrong_basic = sim
        .post("/mgmt/shared/authn/login")
        .basic_auth("nobody", Some("x"))
        .json(&json!({"username": "admin", "password": "admin", "loginProviderName": "tmos"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_wrong_basic.status(), StatusCode::OK);
    let (status, body) = status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&json!({"username": "admin", "password": "nope", "loginProviderName": "tmos"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "Authentication failed.");
}

#[tokio::test]
async fn a_token_works_for_1200_seconds_then_reads_expired() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("foo", "fooPass").await;
    let version = || {
        sim.get("/mgmt/tm/sys/version")
            .header("X-F5-Auth-Token", &token)
            .send()
    };
    assert_eq!(version().await.unwrap().status(), StatusCode::OK);
    sim.advance(1199);
    assert_eq!(version().await.unwrap().status(), StatusCode::OK);
    sim.advance(1);
    let (status, body) = status_json(version().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token has expired.");
}

#[tokio::test]
async fn unknown_and_missing_credentials_get_their_401_texts() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let (status, body) = status_json(
        sim.get("/mgmt/tm/sys/version")
            .header("X-F5-Auth-Token", "DCECRMQ66WOSPTSGPR7OAGG5SI")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token does not exist.");

    let (status, body) = status_json(sim.get("/mgmt/tm/sys/version").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let message = body["message"].as_str().unwrap();
    assert!(
        message
            .starts_with("Authorization failed: no user authentication header or token detected."),
        "{message}"
    );
}

#[tokio::test]
async fn an_expired_token_left_in_the_header_breaks_login() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let token = sim.token("foo", "fooPass").await;
    sim.advance(1201);
    let login = json!({"username": "foo", "password": "fooPass", "loginProviderName": "tmos"});
    let (status, body) = status_json(
        sim.post("/mgmt/shared/authn/login")
            .header("X-F5-Auth-Token", &token)
            .json(&login)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token has expired.");
    // Dropping the stale header is the fix.
    let retry = sim
        .post("/mgmt/shared/authn/login")
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
}

#[tokio::test]
async fn http_basic_works_on_ordinary_endpoints_for_local_users() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let ok = sim
        .get("/mgmt/tm/sys/version")
        .basic_auth("foo", Some("fooPass"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let (status, body) = status_json(
        sim.get("/mgmt/tm/sys/version")
            .basic_auth("foo", Some("wrong"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "Authentication failed.");
}

#[tokio::test]
async fn remote_providers_log_in_by_name_and_unknown_ones_fail() {
    let config = SimConfig {
        remote_providers: vec!["corp-ldap".into()],
        ..SimConfig::default()
    };
    let sim = Sim::start_with(DeviceKind::Bigip, config).await;
    let (status, body) = status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&json!({"username": "foo", "password": "fooPass", "loginProviderName": "corp-ldap"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token"]["authProviderName"], "corp-ldap");
    let link = body["token"]["user"]["link"].as_str().unwrap();
    assert!(link.contains(&f5_name_uuid("corp-ldap")), "{link}");
    let user = sim
        .get(link.trim_start_matches("https://localhost"))
        .basic_auth("foo", Some("fooPass"))
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), StatusCode::OK);

    let (status, body) = status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&json!({"username": "foo", "password": "fooPass", "loginProviderName": "radius"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "Authentication failed.");
}

#[tokio::test]
async fn the_user_link_is_a_resource() {
    let sim = Sim::start(DeviceKind::Bigip).await;
    let reply = sim.f5_login("foo", "fooPass").await;
    let token = reply["token"]["token"].as_str().unwrap();
    let link = reply["token"]["user"]["link"].as_str().unwrap();
    let (status, body) = status_json(
        sim.get(link.trim_start_matches("https://localhost"))
            .header("X-F5-Auth-Token", token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "foo");
    assert_eq!(body["id"], "acbd18db-4cc2-385c-adef-654fccc4a4d8");
    assert_eq!(body["selfLink"], link);
    assert_eq!(
        body["kind"],
        "cm:system:authn:providers:tmos:1f44a60e-11a7-3c51-a49f-82983026b41b:users:usersstate"
    );
    // The form without the `tmos/` segment (shared::devices::bigip::user_uuid::user_link) works too.
    let short = shared::devices::bigip::user_uuid::user_link("tmos", "foo");
    let again = sim
        .get(short.trim_start_matches("https://localhost"))
        .header("X-F5-Auth-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}
