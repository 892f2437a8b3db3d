//! Secrets never reach the relay's log.
//!
//! Alone in its own test binary: tracing caches per-callsite interest process-wide, so a test
//! that captures logs with a thread-local subscriber must not share the process with tests
//! running concurrently under no subscriber (their cached "not interested" would hide events).

mod common;

use common::{CapturedLog, Relay, client, device, state};
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;

#[tokio::test(flavor = "current_thread")]
async fn passwords_tokens_and_the_access_key_never_reach_the_log() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("debug,relay=trace,tower_http=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = simulator::start(
        shared::wire::DeviceKind::Bigip,
        "127.0.0.1:0".parse().unwrap(),
        simulator::SimConfig::default(),
    )
    .await
    .unwrap();
    let access = relay::access::AccessPolicy::new(
        vec![],
        vec![],
        Some("access-key-that-is-secret".into()),
        false,
    )
    .unwrap();
    let relay = Relay::start(
        state(
            vec![device(
                "lab",
                &sim.base_url(),
                TrustPolicy::pin(&sim.fingerprint).unwrap(),
            )],
            Timeouts::default(),
        )
        .with_access(access),
    )
    .await;
    let http = client();
    let login = http
        .post(relay.url("/api/devices/lab/fwd/mgmt/shared/authn/login"))
        .header("x-tokendeck-access-key", "access-key-that-is-secret")
        .json(&serde_json::json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = login.json().await.unwrap();
    let token = body["token"]["token"].as_str().unwrap().to_owned();
    let version = http
        .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version?secret=in-query"))
        .header("x-tokendeck-access-key", "access-key-that-is-secret")
        .header("X-F5-Auth-Token", &token)
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(version.status(), 200);
    let wrong = http
        .get(relay.url("/api/devices"))
        .header("x-tokendeck-access-key", "a-wrong-key-guessed-here")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let log = captured.text();
    assert!(
        log.contains("/api/devices/lab/fwd/mgmt/tm/sys/version"),
        "{log}"
    );
    for secret in [
        token.as_str(),
        "\"admin\"",
        "YWRtaW46YWRtaW4=",
        "access-key-that-is-secret",
        "a-wrong-key-guessed-here",
        "in-query",
    ] {
        assert!(
            !log.contains(secret),
            "{secret} leaked into the log:\n{log}"
        );
    }
}
