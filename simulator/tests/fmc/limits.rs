//! FMC's session takeover, its 10-request cap and its `Retry-After` on 429.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shared::wire::DeviceKind;
use simulator::SimConfig;

use crate::common::raw::{Raw, request};
use crate::common::{Sim, status_json};
use crate::{GLOBAL, VERSION, assert_fmc_error, generate, refresh, version};

#[tokio::test]
async fn a_new_login_by_the_same_user_ends_the_older_session() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (first, _) = generate(&sim, "admin", "admin").await;
    let (other_user, _) = generate(&sim, "foo", "fooPass").await;
    assert_eq!(version(&sim, &first.access).await.0, StatusCode::OK);
    let (second, _) = generate(&sim, "admin", "admin").await;

    let (status, body) = version(&sim, &first.access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Access token invalid.");
    let (status, body) = status_json(refresh(&sim, &first).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_fmc_error(&body, "Invalid refresh token");

    assert_eq!(version(&sim, &second.access).await.0, StatusCode::OK);
    assert_eq!(
        version(&sim, &other_user.access).await.0,
        StatusCode::OK,
        "another user's session is not touched"
    );
}

#[tokio::test]
async fn without_takeover_sessions_of_one_user_live_side_by_side() {
    let config = SimConfig {
        session_takeover: false,
        ..SimConfig::default()
    };
    let sim = Sim::start_with(DeviceKind::Fmc, config).await;
    let (first, _) = generate(&sim, "admin", "admin").await;
    let (second, _) = generate(&sim, "admin", "admin").await;
    assert_eq!(version(&sim, &first.access).await.0, StatusCode::OK);
    assert_eq!(version(&sim, &second.access).await.0, StatusCode::OK);
    assert_eq!(refresh(&sim, &first).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn retry_after_counts_down_to_when_the_window_frees() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await; // request 1, at t = 0
    sim.advance(20);
    for _ in 2..=120 {
        assert_eq!(version(&sim, &pair.access).await.0, StatusCode::OK);
    }
    let limited = sim
        .get(VERSION)
        .header("X-auth-access-token", &pair.access)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        limited.headers()["retry-after"],
        "40",
        "the oldest request leaves the window 60 s after t = 0"
    );
    sim.advance(40);
    assert_eq!(version(&sim, &pair.access).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_eleventh_concurrent_request_gets_429_and_the_ten_finish() {
    let sim = Sim::start(DeviceKind::Fmc).await;
    let (pair, _) = generate(&sim, "admin", "admin").await;
    let path = format!("/api/fmc_config/v1/domain/{GLOBAL}/object/hosts");
    // Ten slow uploads: the head and half of each body, the rest held back.
    let mut slow = Vec::new();
    for n in 0..10 {
        let body = format!(r#"{{"name":"slow-{n:02}","value":"10.9.0.{n}","type":"Host"}}"#);
        let text = request(
            "POST",
            &path,
            &[("X-auth-access-token", &pair.access)],
            &body,
        );
        let (now, later) = text.split_at(text.len() - body.len() / 2);
        let mut raw = Raw::connect(&sim.device).await;
        raw.send(now).await.unwrap();
        slow.push((raw, later.to_owned()));
    }
    // The eleventh request is refused as soon as the ten are in progress.
    let started = Instant::now();
    let refused = loop {
        let reply = sim
            .get(VERSION)
            .header("X-auth-access-token", &pair.access)
            .send()
            .await
            .unwrap();
        if reply.status() == StatusCode::TOO_MANY_REQUESTS {
            break reply;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "ten uploads in progress never filled the cap"
        );
    };
    assert_eq!(refused.headers()["retry-after"], "1");
    let (_, body) = status_json(refused).await;
    assert!(
        body["error"]["messages"][0]["description"]
            .as_str()
            .unwrap()
            .contains("10 simultaneous"),
        "{body}"
    );
    // The ten finish normally.
    for (raw, rest) in &mut slow {
        raw.send(rest.as_bytes()).await.unwrap();
    }
    for (raw, _) in &mut slow {
        let reply = raw.response().await.expect("an answer to the slow upload");
        assert_eq!(reply.status, 201, "{:?}", reply.json());
    }
    assert_eq!(version(&sim, &pair.access).await.0, StatusCode::OK);
}
