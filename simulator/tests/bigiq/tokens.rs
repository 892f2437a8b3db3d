//! Access tokens expire after 300 s; the refresh token exchanges for new ones for 10 h.

use reqwest::StatusCode;
use serde_json::json;
use shared::wire::DeviceKind;

use crate::common::{Sim, status_json};
use crate::{admin_login, exchange, stats};

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
