//! Who may use the relay: the Host check (DNS rebinding), Origin and CORS (including Private
//! Network Access preflights), the access key with its rate limit, and the refusal to serve a
//! public address without a key.

mod common;

use common::{Relay, client, relay_error_code, state};
use relay::access::AccessPolicy;
use relay::inventory::Timeouts;

const KEY: &str = "correct-horse-battery-staple";
const PORTAL: &str = "https://portal.example.com";

fn policy(key: Option<&str>) -> AccessPolicy {
    AccessPolicy::new(
        vec!["relay.example.com".into()],
        vec![PORTAL.into()],
        key.map(str::to_owned),
        false,
    )
    .unwrap()
}

async fn relay_with(access: AccessPolicy) -> Relay {
    Relay::start(state(vec![], Timeouts::default()).with_access(access)).await
}

#[tokio::test]
async fn answers_only_to_loopback_and_configured_host_names() {
    let relay = relay_with(policy(None)).await;
    let http = client();
    for (host, allowed) in [
        ("localhost:8080", true),
        ("127.0.0.1", true),
        ("relay.example.com", true),
        ("attacker.example", false),
        ("relay.example.com.attacker.example", false),
        ("10.0.0.1", false),
    ] {
        let response = http
            .get(relay.url("/api/devices"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        if allowed {
            assert_eq!(response.status(), 200, "{host}");
        } else {
            assert_eq!(response.status(), 403, "{host}");
            assert_eq!(relay_error_code(response).await, "host_not_allowed");
        }
    }
    // Health checks come from load balancers and kubelets by pod address.
    for probe in ["/healthz", "/livez", "/readyz"] {
        let health = http
            .get(relay.url(probe))
            .header("host", "10.1.2.3:8080")
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{probe}");
    }
}

#[tokio::test]
async fn cross_site_requests_are_refused_unless_the_origin_is_configured() {
    let relay = relay_with(policy(None)).await;
    let http = client();
    let same = http
        .post(relay.url("/api/devices/x/probe"))
        .header("origin", format!("http://{}", relay.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        relay_error_code(same).await,
        "unknown_device",
        "same origin gets through"
    );
    let evil = http
        .post(relay.url("/api/devices/x/trust"))
        .header("origin", "https://attacker.example")
        .header("content-type", "text/plain")
        .body("{\"fingerprint\":\"sha256:00\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert_eq!(relay_error_code(evil).await, "origin_not_allowed");
    let portal = http
        .get(relay.url("/api/devices"))
        .header("origin", PORTAL)
        .send()
        .await
        .unwrap();
    assert_eq!(portal.status(), 200);
    assert_eq!(
        portal.headers().get("access-control-allow-origin").unwrap(),
        PORTAL
    );
    let exposed = portal
        .headers()
        .get("access-control-expose-headers")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for name in [
        "x-auth-access-token",
        "x-auth-refresh-token",
        "domain_uuid",
        "x-tokendeck-relay-error",
    ] {
        assert!(exposed.contains(name), "{name} exposed: {exposed}");
    }
}

#[tokio::test]
async fn preflights_including_private_network_ones_are_answered_for_configured_origins_only() {
    let relay = relay_with(policy(Some(KEY))).await;
    let http = client();
    let preflight = |origin: &'static str| {
        http.request(
            reqwest::Method::OPTIONS,
            relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"),
        )
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "x-f5-auth-token, x-tokendeck-access-key",
        )
        .header("access-control-request-private-network", "true")
        .send()
    };
    let ok = preflight(PORTAL).await.unwrap();
    assert!(ok.status().is_success());
    let h = ok.headers();
    assert_eq!(h.get("access-control-allow-origin").unwrap(), PORTAL);
    assert_eq!(
        h.get("access-control-allow-private-network").unwrap(),
        "true"
    );
    let allowed_headers = h
        .get("access-control-allow-headers")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(allowed_headers.contains("x-f5-auth-token"));
    assert!(allowed_headers.contains("x-tokendeck-access-key"));
    assert!(h.get("access-control-allow-credentials").is_none());

    let evil = preflight("https://attacker.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    assert!(
        evil.headers()
            .get("access-control-allow-private-network")
            .is_none()
    );
}

#[tokio::test]
async fn the_access_key_is_required_checked_and_guesses_are_rate_limited() {
    let relay = relay_with(policy(Some(KEY))).await;
    let http = client();
    let get = |key: Option<&str>| {
        let mut request = http.get(relay.url("/api/devices"));
        if let Some(key) = key {
            request = request.header("x-tokendeck-access-key", key);
        }
        request.send()
    };
    let missing = get(None).await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(relay_error_code(missing).await, "access_key_required");
    assert_eq!(get(Some(KEY)).await.unwrap().status(), 200);
    // The app itself loads without the key (the user types it into the app).
    let page = http.get(relay.url("/")).send().await.unwrap();
    assert_ne!(page.status(), 401);
    // Metrics need the key too, as a bearer token for Prometheus.
    let metrics = http.get(relay.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 401);
    let metrics = http
        .get(relay.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);

    for _ in 0..relay::guard::access_key::MAX_FAILURES {
        let wrong = get(Some("correct-horse-battery-stapler")).await.unwrap();
        assert_eq!(relay_error_code(wrong).await, "access_key_wrong");
    }
    let locked = get(Some(KEY)).await.unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().get("retry-after").is_some());
    assert_eq!(relay_error_code(locked).await, "rate_limited");
}

#[tokio::test]
async fn a_public_address_needs_an_access_key_or_an_explicit_opt_out() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let refused = relay::serve(listener, state(vec![], Timeouts::default()), async {}).await;
    let err = refused.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("access key"));

    let opted_out = AccessPolicy::new(vec![], vec![], None, true).unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let served = relay::serve(
        listener,
        state(vec![], Timeouts::default()).with_access(opted_out),
        async {},
    )
    .await;
    assert!(served.is_ok());
}

#[tokio::test]
async fn a_right_key_between_wrong_ones_does_not_reset_the_lockout() {
    let relay = relay_with(policy(Some(KEY))).await;
    let http = client();
    let get = |key: &'static str| {
        http.get(relay.url("/api/devices"))
            .header("x-tokendeck-access-key", key)
            .send()
    };
    let max = relay::guard::access_key::MAX_FAILURES;
    for n in 1..=max {
        let wrong = get("correct-horse-battery-stapler").await.unwrap();
        assert_eq!(relay_error_code(wrong).await, "access_key_wrong");
        if n < max {
            assert_eq!(
                get(KEY).await.unwrap().status(),
                200,
                "after {n} wrong keys"
            );
        }
    }
    let locked = get(KEY).await.unwrap();
    assert_eq!(locked.status(), 429);
    assert_eq!(relay_error_code(locked).await, "rate_limited");
}

#[tokio::test]
async fn metrics_are_behind_the_host_check() {
    let relay = relay_with(policy(None)).await;
    let http = client();
    let rebound = http
        .get(relay.url("/metrics"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    assert_eq!(relay_error_code(rebound).await, "host_not_allowed");
    let local = http.get(relay.url("/metrics")).send().await.unwrap();
    assert_eq!(local.status(), 200);
}
