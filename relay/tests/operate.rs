//! Operating the relay: health, Prometheus metrics (including keep-alive reuse), request ids,
//! and the served app's cache, compression and security headers.

mod common;

use std::path::PathBuf;

use base64::Engine;
use common::{Relay, TestCert, TlsServer, client, device, get_json, raw, recording_router, state};
use relay::AppState;
use relay::inventory::{Inventory, Timeouts};
use relay::trust::TrustPolicy;
use sha2::{Digest, Sha256};

const LOADER: &str = "\nimport init from '/frontend-0123456789abcdef.js';\nawait init();\n";

fn fake_dist() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokendeck-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        format!("<!doctype html><html><head><script type=\"module\">{LOADER}</script></head><body></body></html>"),
    )
    .unwrap();
    std::fs::write(
        dir.join("frontend-0123456789abcdef.js"),
        "export default async function init() {}\n".repeat(50),
    )
    .unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\n").unwrap();
    dir
}

#[tokio::test]
async fn the_app_is_served_with_its_csp_cache_headers_and_compression() {
    let dist = fake_dist();
    let relay = Relay::start(AppState::new(
        Inventory::new(vec![], Timeouts::default()).unwrap(),
        Some(dist),
    ))
    .await;
    let http = client();
    let index = http.get(relay.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let h = index.headers();
    assert_eq!(h.get("cache-control").unwrap(), "no-cache");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(LOADER));
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("connect-src 'self'") && !csp.contains("unsafe-inline"));

    let asset = http
        .get(relay.url("/frontend-0123456789abcdef.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        asset.headers().get("cache-control").unwrap(),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers().get("content-encoding").unwrap(), "gzip");
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let plain = http.get(relay.url("/robots.txt")).send().await.unwrap();
    assert_eq!(plain.headers().get("cache-control").unwrap(), "no-cache");

    // App routes fall back to index.html; missing files and escapes are 404s.
    let route = http.get(relay.url("/devices/lab")).send().await.unwrap();
    assert!(
        route
            .text()
            .await
            .unwrap()
            .contains("<script type=\"module\">")
    );
    let missing = http.get(relay.url("/missing.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    for escape in [
        "/../index.html",
        "/%2e%2e/index.html",
        "/a/..%2f..%2fpasswd",
    ] {
        let (status, reply) = raw(relay.addr, "GET", escape, "").await;
        assert_eq!(status, 404, "{escape}: {reply}");
    }
    let post = http.post(relay.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn health_metrics_and_request_ids() {
    let cert = TestCert::self_signed();
    let (router, _log) = recording_router(vec![]);
    let server = TlsServer::start(&cert, router).await;
    let relay = Relay::start(state(
        vec![device(
            "lab",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )],
        Timeouts::default(),
    ))
    .await;
    let http = client();
    let health = http.get(relay.url("/healthz")).send().await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    for _ in 0..3 {
        let response = http
            .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
            .send()
            .await
            .unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(!id.is_empty());
        response.text().await.unwrap();
    }
    let _ = http
        .get(relay.url("/api/devices/nope/fwd/x"))
        .send()
        .await
        .unwrap();
    let text = common::metrics(&relay).await;
    assert!(
        text.contains("tokendeck_device_requests_total{device=\"lab\",status=\"200\"} 3"),
        "{text}"
    );
    assert!(text.contains("tokendeck_device_request_duration_seconds_count{device=\"lab\"} 3"));
    // Three calls over one kept-alive connection: one handshake.
    assert!(
        text.contains("tokendeck_device_tls_handshakes_total{device=\"lab\"} 1"),
        "{text}"
    );
    assert!(text.contains("tokendeck_relay_errors_total{code=\"unknown_device\"} 1"));
}

#[tokio::test]
async fn client_request_ids_are_kept_only_when_plain() {
    let relay = Relay::start(state(vec![], Timeouts::default())).await;
    let http = client();
    let id_for = |sent: &'static str| {
        let request = http.get(relay.url("/healthz")).header("x-request-id", sent);
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(id_for("trace-0042:abc").await, "trace-0042:abc");
    for forged in [
        "x\" level=ERROR msg=\"forged",
        "a b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let echoed = id_for(forged).await;
        assert_ne!(echoed, forged);
        assert!(
            echoed.len() <= 64 && !echoed.contains([' ', '"', '=']),
            "{echoed}"
        );
    }
}

#[tokio::test]
async fn info_tells_the_version_and_whether_ad_hoc_devices_are_admitted() {
    let relay = Relay::start(state(vec![], Timeouts::default())).await;
    let info: serde_json::Value = get_json(&relay, "/api/info").await;
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["ad_hoc"], false);
}
