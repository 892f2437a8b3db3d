//! Login: local and remote providers, the two JWTs, and what is refused.

use reqwest::StatusCode;
use serde_json::json;
use shared::devices::bigip::user_uuid::f5_name_uuid;
use shared::wire::DeviceKind;
use simulator::SimConfig;

use crate::common::{Sim, assert_framework_error};
use crate::{admin_login, claims, login, stats};

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
