//! generatetoken / refreshtoken / revokeaccess, lifetime and the rate limit.

use reqwest::StatusCode;
use serde_json::Value;
use shared::wire::DeviceKind;

use crate::common::{Sim, status_json};
use crate::{GLOBAL, Pair, VERSION, assert_fmc_error, generate, refresh, version};

#[tokio::test]
async fn generatetoken_returns_204_with_every_documented_header() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, headers) = generate(&sim, "admin", "admin").await;
    assert!(
        uuid_like(&pair.access) && uuid_like(&pair.refresh),
        "{pair:?}"
    );
    assert!(uuid_like(headers["USER_UUID"].to_str().unwrap()));
    assert_eq!(headers["DOMAIN_UUID"], GLOBAL);
    assert_eq!(headers["global"], GLOBAL);
    assert!(headers.contains_key("DOMAIN_ID"));
    let domains: Value = serde_json::from_str(headers["DOMAINS"].to_str().unwrap()).unwrap();
    assert_eq!(domains[0]["name"], "Global");
    assert_eq!(domains[0]["uuid"], GLOBAL);
    assert_eq!(domains[1]["name"], "Global/Sub");

    // Some clients send a `null` body; it is ignored.
    let with_null = sim
        .post("/api/fmc_platform/v1/auth/generatetoken")
        .basic_auth("foo", Some("fooPass"))
        .header("Content-Type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(with_null.status(), StatusCode::NO_CONTENT);
    assert_eq!(with_null.text().await.unwrap(), "");
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn bad_credentials_get_401_user_authentication_failed() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    for request in [
        sim.post("/api/fmc_platform/v1/auth/generatetoken")
            .basic_auth("admin", Some("nope")),
        sim.post("/api/fmc_platform/v1/auth/generatetoken"),
    ] {
        let (status, body) = status_json(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_fmc_error(&body, "User authentication failed");
    }
}

#[tokio::test]
async fn access_tokens_last_thirty_minutes() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let (status, body) = version(&sim, &pair.access).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["items"][0]["serverVersion"].is_string());
    for field in ["vdbVersion", "sruVersion", "geoVersion"] {
        assert!(body["items"][0][field].is_string(), "{field}");
    }
    sim.advance(30 * 60 - 1);
    assert_eq!(version(&sim, &pair.access).await.0, StatusCode::OK);
    sim.advance(1);
    let (status, body) = version(&sim, &pair.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Access token invalid.");
    let (status, body) = version(&sim, "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Access token invalid.");
}

#[tokio::test]
async fn three_refreshes_per_login_then_invalid_refresh_token() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (mut pair, _) = generate(&sim, "admin", "admin").await;
    for _ in 0..3 {
        sim.advance(20 * 60);
        let reply = refresh(&sim, &pair).await;
        assert_eq!(reply.status(), StatusCode::NO_CONTENT);
        let headers = reply.headers();
        let next = Pair {
            access: headers["X-auth-access-token"].to_str().unwrap().to_owned(),
            refresh: headers["X-auth-refresh-token"].to_str().unwrap().to_owned(),
        };
        assert_eq!(
            version(&sim, &pair.access).await.0,
            StatusCode::UNAUTHORIZED,
            "old pair retired"
        );
        assert_eq!(version(&sim, &next.access).await.0, StatusCode::OK);
        pair = next;
    }
    let (status, body) = status_json(refresh(&sim, &pair).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Invalid refresh token");
    // A new login starts a new allowance.
    let (fresh, _) = generate(&sim, "admin", "admin").await;
    assert_eq!(refresh(&sim, &fresh).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn expired_or_mismatched_pairs_do_not_refresh() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (a, _) = generate(&sim, "admin", "admin").await;
    let (b, _) = generate(&sim, "admin", "admin").await;
    let mixed = Pair {
        access: a.access.clone(),
        refresh: b.refresh.clone(),
    };
    let (status, body) = status_json(refresh(&sim, &mixed).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Invalid refresh token");
    sim.advance(30 * 60);
    assert_eq!(refresh(&sim, &a).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revokeaccess_ends_the_session() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let reply = sim
        .post("/api/fmc_platform/v1/auth/revokeaccess")
        .header("X-auth-access-token", &pair.access)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);
    let (status, body) = version(&sim, &pair.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Access token invalid.");
}

#[tokio::test]
async fn the_121st_request_in_a_minute_gets_429() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await; // request 1
    for n in 2..=120 {
        assert_eq!(
            version(&sim, &pair.access).await.0,
            StatusCode::OK,
            "request {n}"
        );
    }
    let reply = sim
        .get(VERSION)
        .header("X-auth-access-token", &pair.access)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.headers()["retry-after"], "60");
    let (_, body) = status_json(reply).await;
    assert!(
        body["error"]["messages"][0]["description"]
            .as_str()
            .unwrap()
            .contains("120")
    );
    // Other users have their own allowance; the window slides with the clock.
    let (other, _) = generate(&sim, "foo", "fooPass").await;
    assert_eq!(version(&sim, &other.access).await.0, StatusCode::OK);
    sim.advance(60);
    assert_eq!(version(&sim, &pair.access).await.0, StatusCode::OK);
}
