//! Logout: DELETE on a token's selfLink, by its owner or an administrator.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::wire::DeviceKind;

use crate::common::{Sim, assert_framework_error, f5_call};
use crate::{admin_login, exchange, login, stats};

async fn delete_token(sim: &Sim, auth: &str, token: &str) -> (StatusCode, Value) {
    f5_call(
        sim.delete(&format!("/mgmt/shared/authz/tokens/{token}")),
        auth,
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
    let (status, shown) = f5_call(
        sim.get(&format!("/mgmt/shared/authz/tokens/{refresh}")),
        access,
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
