//! BIG-IQ simulator over real HTTPS: JWT login, exchange, expiry and the device endpoints.

mod common;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::user_uuid::f5_name_uuid;
use shared::wire::DeviceKind;
use simulator::SimConfig;

use common::{Sim, assert_framework_error, status_json};

async fn login(sim: &Sim, body: Value) -> (StatusCode, Value) {
    status_json(
        sim.post("/mgmt/shared/authn/login")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn admin_login(sim: &Sim) -> Value {
    let (status, body) = login(sim, json!({"username": "admin", "password": "admin"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn stats(sim: &Sim, token: &str) -> (StatusCode, Value) {
    status_json(
        sim.get("/mgmt/shared/diagnostics/device-stats")
            .header("X-F5-Auth-Token", token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn exchange(sim: &Sim, refresh: &str) -> (StatusCode, Value) {
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

#[tokio::test]
async fn login_returns_access_and_refresh_jwts_for_the_local_provider() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let body = admin_login(&sim).await;
    assert_eq!(
        body["loginReference"]["link"],
        "https://localhost/mgmt/cm/system/authn/providers/local/login"
    );
    assert_eq!(body["loginProviderName"], "local");
    let (access, refresh) = (&body["token"], &body["refreshToken"]);
    assert_eq!(
        (access["type"].as_str(), access["timeout"].as_i64()),
        (Some("ACCESS"), Some(300))
    );
    assert_eq!(
        (refresh["type"].as_str(), refresh["timeout"].as_i64()),
        (Some("REFRESH"), Some(36000))
    );
    for token in [access, refresh] {
        let jwt = token["token"].as_str().unwrap();
        assert!(jwt.starts_with("eyJ"), "{jwt}");
        assert!(token["jti"].is_string() && token["exp"].is_i64() && token["iat"].is_i64());
        assert!(token.get("expirationMicros").is_none());
        assert_eq!(
            token["user"]["link"],
            "https://localhost/mgmt/shared/authz/users/admin"
        );
        let c = claims(jwt);
        assert_eq!(c["exp"], token["exp"]);
        assert_eq!(c["jti"], token["jti"]);
        assert_eq!(c["type"], token["type"]);
    }
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        300
    );
    let (status, _) = stats(&sim, access["token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    // bigrest and f5-sdk name the local provider `tmos` on BIG-IQ too.
    let (status, body) = login(
        &sim,
        json!({"username": "foo", "password": "fooPass", "loginProviderName": "tmos"}),
    )
    .await;
    assert_eq!(
        (status, body["loginProviderName"].as_str()),
        (StatusCode::OK, Some("local"))
    );
    // An explicit local loginReference, or an empty one, works the same.
    for reference in [
        json!({"link": "https://localhost/mgmt/cm/system/authn/providers/local/login"}),
        json!({"link": ""}),
    ] {
        let (status, _) = login(
            &sim,
            json!({"username": "foo", "password": "fooPass", "loginReference": reference}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn bad_passwords_unknown_providers_and_basic_auth_are_refused() {
    let config = SimConfig {
        remote_providers: vec!["corp-ldap".into()],
        ..SimConfig::default()
    };
    let sim = Sim::start_with(DeviceKind::Bigiq, config).await;
    let (status, body) = login(&sim, json!({"username": "admin", "password": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "Authentication failed.");
    let ldap = format!(
        "https://localhost/mgmt/cm/system/authn/providers/ldap/{}/login",
        f5_name_uuid("corp-ldap")
    );
    let (status, body) = login(
        &sim,
        json!({"username": "admin", "password": "admin", "loginReference": {"link": ldap}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token"]["authProviderName"], "corp-ldap");
    let (status, _) = login(
        &sim,
        json!({"username": "admin", "password": "admin", "loginReference": {"link": "https://localhost/mgmt/cm/system/authn/providers/radius/x/login"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Basic authentication is disabled on BIG-IQ by default.
    let reply = sim
        .get("/mgmt/shared/diagnostics/device-stats")
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_access_tokens_get_invalid_registered_claims() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let body = admin_login(&sim).await;
    let access = body["token"]["token"].as_str().unwrap();
    sim.advance(299);
    assert_eq!(stats(&sim, access).await.0, StatusCode::OK);
    sim.advance(1);
    let (status, body) = stats(&sim, access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 401);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Invalid registered claims."),
        "{body}"
    );
    // Tampered and refresh tokens are not access tokens.
    let refresh = body_refresh(&sim).await;
    assert_eq!(stats(&sim, &refresh).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        stats(&sim, &format!("{access}x")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn body_refresh(sim: &Sim) -> String {
    admin_login(sim).await["refreshToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn exchange_gives_new_access_tokens_until_the_refresh_token_expires() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let login = admin_login(&sim).await;
    let refresh = login["refreshToken"]["token"].as_str().unwrap();
    let refresh_exp = login["refreshToken"]["exp"].as_i64().unwrap();
    sim.advance(9 * 3600);
    let (status, body) = exchange(&sim, refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["token"]["token"].as_str().unwrap();
    assert_eq!(body["token"]["type"], "ACCESS");
    assert_eq!(stats(&sim, access).await.0, StatusCode::OK);
    // The refresh clock did not reset: 10 h after login it is over.
    sim.advance(3600);
    assert!(sim.clock.now_micros() / 1_000_000 >= refresh_exp);
    let (status, body) = exchange(&sim, refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Invalid registered claims.")
    );
    // An access token cannot be exchanged; a missing one is a 400.
    let (status, _) = exchange(&sim, access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = status_json(
        sim.post("/mgmt/shared/authn/exchange")
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn device_info_stats_and_managed_bigips() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let token = admin_login(&sim).await["token"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: &str| sim.get(path).header("X-F5-Auth-Token", &token).send();
    let (status, info) = status_json(
        get("/mgmt/shared/identified-devices/config/device-info")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["product"], "BIG-IQ");
    assert_eq!(info["version"], "8.3.0");
    assert_eq!(
        info["kind"],
        "shared:resolver:device-groups:deviceinfostate"
    );
    for field in [
        "hostname",
        "build",
        "edition",
        "managementAddress",
        "machineId",
    ] {
        assert!(info[field].is_string(), "{field}");
    }
    let (_, before) = stats(&sim, &token).await;
    sim.advance(120);
    let (_, after) = stats(&sim, &token).await;
    assert_eq!(
        after["uptimeSeconds"].as_i64().unwrap() - before["uptimeSeconds"].as_i64().unwrap(),
        120
    );
    let (status, devices) = status_json(
        get("/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let items = devices["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|d| d["product"] == "BIG-IP" && d["state"] == "ACTIVE")
    );
    for device in items {
        for field in [
            "uuid",
            "hostname",
            "address",
            "managementAddress",
            "version",
            "mcpDeviceName",
        ] {
            assert!(device[field].is_string(), "{field} in {device}");
        }
        assert_eq!(device["httpsPort"], 443);
    }
    let one = items[0]["selfLink"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://localhost")
        .to_owned();
    let (status, device) = status_json(get(&one).await.unwrap()).await;
    assert_eq!(
        (status, &device["uuid"]),
        (StatusCode::OK, &items[0]["uuid"])
    );
    let (status, body) = status_json(get("/mgmt/shared/nothing-here").await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["kind"], ":resterrorresponse");
}

async fn delete_token(sim: &Sim, auth: &str, token: &str) -> (StatusCode, Value) {
    status_json(
        sim.delete(&format!("/mgmt/shared/authz/tokens/{token}"))
            .header("X-F5-Auth-Token", auth)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn logout_deletes_the_refresh_token_then_the_access_token_by_their_self_links() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let login = admin_login(&sim).await;
    let access = login["token"]["token"].as_str().unwrap();
    let refresh = login["refreshToken"]["token"].as_str().unwrap();
    for token in [&login["token"], &login["refreshToken"]] {
        let link = token["selfLink"].as_str().unwrap();
        assert_eq!(
            link,
            format!(
                "https://localhost/mgmt/shared/authz/tokens/{}",
                token["token"].as_str().unwrap()
            )
        );
    }
    // Reading a token through its link shows its object.
    let (status, shown) = status_json(
        sim.get(&format!("/mgmt/shared/authz/tokens/{refresh}"))
            .header("X-F5-Auth-Token", access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["type"], "REFRESH");
    assert_eq!(shown["jti"], login["refreshToken"]["jti"]);

    // The refresh token first: it can no longer be exchanged; the access token still works.
    let (status, deleted) = delete_token(&sim, access, refresh).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["type"], "REFRESH");
    let (status, body) = exchange(&sim, refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token does not exist.");
    assert_eq!(stats(&sim, access).await.0, StatusCode::OK);

    // Then the access token, with itself: it stops authenticating at once.
    let (status, deleted) = delete_token(&sim, access, access).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["type"], "ACCESS");
    let (status, body) = stats(&sim, access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "X-F5-Auth-Token does not exist.");
}

#[tokio::test]
async fn tokens_can_be_deleted_only_by_their_owner_or_an_administrator() {
    let sim = Sim::start(DeviceKind::Bigiq).await;
    let admin = admin_login(&sim).await;
    let (_, foo) = login(&sim, json!({"username": "foo", "password": "fooPass"})).await;
    let foo_access = foo["token"]["token"].as_str().unwrap();
    let admin_refresh = admin["refreshToken"]["token"].as_str().unwrap();
    let (status, body) = delete_token(&sim, foo_access, admin_refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Authorization failed"),
        "{body}"
    );
    let admin_access = admin["token"]["token"].as_str().unwrap();
    let foo_refresh = foo["refreshToken"]["token"].as_str().unwrap();
    assert_eq!(
        delete_token(&sim, admin_access, foo_refresh).await.0,
        StatusCode::OK
    );
    // Already deleted, expired or not a token of this device: 404.
    assert_eq!(
        delete_token(&sim, admin_access, foo_refresh).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete_token(&sim, admin_access, "eyJnot.a.token").await.0,
        StatusCode::NOT_FOUND
    );
    // Deleting needs a live access token.
    let (status, _) = delete_token(&sim, admin_refresh, admin_refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_remote_provider_is_named_by_its_login_link() {
    let config = SimConfig {
        remote_providers: vec!["corp-ldap".into()],
        ..SimConfig::default()
    };
    let sim = Sim::start_with(DeviceKind::Bigiq, config).await;
    let link = "https://localhost/mgmt/cm/system/authn/providers/corp-ldap/login";
    let (status, body) = login(
        &sim,
        json!({"username": "foo", "password": "fooPass", "loginReference": {"link": link}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["loginReference"]["link"], link);
    assert_eq!(body["loginProviderName"], "corp-ldap");
    assert_eq!(body["token"]["authProviderName"], "corp-ldap");
    assert_eq!(body["refreshToken"]["authProviderName"], "corp-ldap");
    // An unconfigured provider is refused like a bad password.
    let (status, body) = login(
        &sim,
        json!({"username": "foo", "password": "fooPass", "loginReference": {"link": "https://localhost/mgmt/cm/system/authn/providers/other-ldap/login"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_framework_error(&body, 401, "Authentication failed.");
    // Local: the link omitted, empty, or naming `local`.
    for request in [
        json!({"username": "foo", "password": "fooPass"}),
        json!({"username": "foo", "password": "fooPass", "loginReference": {}}),
        json!({"username": "foo", "password": "fooPass", "loginReference": {"link": ""}}),
    ] {
        let (status, body) = login(&sim, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["loginProviderName"], "local");
    }
}
