//! With an authenticating proxy (`proxy_user_header`), the relay's log says who made each call:
//! the client address behind the ingress and the user the proxy names, but only when a trusted
//! proxy says so. Without one, nothing is logged per call at `info`.
//! (The console's Activity page cannot show that user: the browser never sees the header.)
//!
//! Alone in its own test binary, like `log_redaction.rs`: it captures logs with a thread-local
//! subscriber.

mod common;

use common::{CapturedLog, Relay, client, device, recording_router, state};
use relay::guard::ProxyPolicy;
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;

/// The device `lab`, pinned to `cert`.
fn pinned_lab(
    server: &common::TlsServer,
    cert: &common::TestCert,
) -> relay::inventory::DeviceConfig {
    device(
        "lab",
        &server.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    )
}

fn lines_with(log: &CapturedLog, needle: &str) -> Vec<String> {
    log.text()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn the_log_names_the_client_and_the_user_a_trusted_proxy_names() {
    let captured = CapturedLog::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cert = common::TestCert::self_signed();
    let (router, _seen) = recording_router(vec![]);
    let server = common::TlsServer::start(&cert, router).await;
    let lab = pinned_lab(&server, &cert);
    let proxies = ProxyPolicy::new(&["127.0.0.1".into()], Some("X-Forwarded-User")).unwrap();
    let relay = Relay::start(state(vec![lab], Timeouts::default()).with_proxies(proxies)).await;
    let response = client()
        .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-user", "alice@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let forwarded = lines_with(&captured, "forwarded");
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");
    assert!(
        forwarded[0].contains("client=203.0.113.9")
            && forwarded[0].contains("user=\"alice@example.com\""),
        "{}",
        forwarded[0]
    );

    // A refusal inside the request says who too: the relay error's line carries its span.
    let refused = client()
        .get(relay.url("/api/devices/nope/fwd/mgmt/tm/sys/version"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-user", "alice@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let refusals = lines_with(&captured, "unknown_device");
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(
        refusals[0].contains("client=203.0.113.9")
            && refusals[0].contains("user=\"alice@example.com\""),
        "{}",
        refusals[0]
    );

    // The same headers from a peer the relay does not trust (its proxy is elsewhere): the
    // connection's address, no user.
    let elsewhere = ProxyPolicy::new(&["10.0.0.1".into()], Some("X-Forwarded-User")).unwrap();
    let untrusting = Relay::start(
        state(vec![pinned_lab(&server, &cert)], Timeouts::default()).with_proxies(elsewhere),
    )
    .await;
    client()
        .get(untrusting.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .header("x-forwarded-for", "203.0.113.66")
        .header("x-forwarded-user", "mallory")
        .send()
        .await
        .unwrap();
    let forwarded = lines_with(&captured, "forwarded");
    assert_eq!(forwarded.len(), 2, "{forwarded:?}");
    assert!(
        forwarded[1].contains("client=127.0.0.1"),
        "{}",
        forwarded[1]
    );
    assert!(!forwarded[1].contains("mallory") && !forwarded[1].contains("203.0.113.66"));

    // Without a proxy naming users there is no audit trail to keep: nothing per call at `info`.
    let quiet = Relay::start(state(vec![pinned_lab(&server, &cert)], Timeouts::default())).await;
    let response = client()
        .get(quiet.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(lines_with(&captured, "forwarded").len(), 2);
}
