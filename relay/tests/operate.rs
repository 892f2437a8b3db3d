//! Operating the relay: health, Prometheus metrics (including keep-alive reuse), request ids,
//! and the served app's cache, compression and security headers, and the inventory in its page.

mod common;

use base64::Engine;
use common::{
    Relay, TestCert, TlsServer, client, device, get_json, raw, recording_router, state, temp_dir,
};
use relay::AppState;
use relay::access::AccessPolicy;
use relay::inventory::{Inventory, Timeouts};
use relay::trust::TrustPolicy;
use sha2::{Digest, Sha256};
use shared::wire::{PAGE_INVENTORY_ID, PageInventory};
use tempfile::TempDir;

const LOADER: &str = "\nimport init from '/frontend-0123456789abcdef.js';\nawait init();\n";

/// A built app's folder, small: removed when dropped, one per test (they run in parallel).
fn fake_dist() -> TempDir {
    let dir = temp_dir("dist");
    std::fs::write(
        dir.path().join("index.html"),
        format!("<!doctype html><html><head><script type=\"module\">{LOADER}</script></head><body></body></html>"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("frontend-0123456789abcdef.js"),
        "export default async function init() {}\n".repeat(50),
    )
    .unwrap();
    std::fs::write(dir.path().join("robots.txt"), "User-agent: *\n").unwrap();
    dir
}

#[tokio::test]
async fn the_app_is_served_with_its_csp_cache_headers_and_compression() {
    let dist = fake_dist();
    let relay = Relay::start(AppState::new(
        Inventory::new(vec![], Timeouts::default()).unwrap(),
        Some(dist.path().to_owned()),
    ))
    .await;
    let http = client();
    let index = http.get(relay.url("/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    let h = index.headers();
    // No key: the page carries the inventory, so it is never stored.
    assert_eq!(h.get("cache-control").unwrap(), "no-store");
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

/// The inventory the page was served with, read as the app reads it.
fn page_inventory(html: &str) -> Option<PageInventory> {
    let open = format!(r#"<script type="application/json" id="{PAGE_INVENTORY_ID}">"#);
    let (_, rest) = html.split_once(&open)?;
    let (json, _) = rest.split_once("</script>")?;
    Some(serde_json::from_str(json).unwrap())
}

/// Unless an access key guards the API, `index.html` (at `/` and at every app route) carries the
/// inventory — what `/api/devices` and `/api/info` answer, as data the CSP does not let run —
/// instead of a variant compressed ahead of time; behind a key it carries none and the
/// precompressed variant is served as before.
#[tokio::test]
async fn the_page_carries_the_inventory_unless_an_access_key_guards_it() {
    let folder = temp_dir("dist");
    let dist = folder.path().to_owned();
    std::fs::copy(
        fake_dist().path().join("index.html"),
        dist.join("index.html"),
    )
    .unwrap();
    std::fs::write(
        dist.join("index.html.br"),
        "built ahead, without an inventory",
    )
    .unwrap();
    let mut lab = device("lab", "https://127.0.0.1:9", TrustPolicy::Insecure);
    lab.name = "Lab </script><script>alert(1)</script>".into();
    let inventory = || Inventory::new(vec![lab.clone()], Timeouts::default()).unwrap();
    let http = client();

    let open = Relay::start(AppState::new(inventory(), Some(dist.clone()))).await;
    for path in ["/", "/index.html", "/devices/lab/tokens"] {
        let page = http
            .get(open.url(path))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.headers().get("content-encoding").is_none(), "{path}");
        assert_eq!(page.headers()["cache-control"], "no-store", "{path}");
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            csp.matches("'sha256-").count(),
            1,
            "only the loader may run: {csp}"
        );
        let html = page.text().await.unwrap();
        assert!(html.contains("<script type=\"module\">"), "{html}");
        let carried = page_inventory(&html).unwrap_or_else(|| panic!("{path}: {html}"));
        assert_eq!(carried.devices[0].name, lab.name);
        assert_eq!(
            serde_json::to_value(&carried.devices).unwrap(),
            get_json(&open, "/api/devices").await
        );
        assert_eq!(
            serde_json::to_value(&carried.info).unwrap(),
            get_json(&open, "/api/info").await
        );
    }

    let key = AccessPolicy::new(
        vec![],
        vec![],
        Some("correct-horse-battery-staple".into()),
        false,
    )
    .unwrap();
    let guarded =
        Relay::start(AppState::new(inventory(), Some(dist.clone())).with_access(key)).await;
    let page = http
        .get(guarded.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["content-encoding"], "br");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert_eq!(
        page.text().await.unwrap(),
        "built ahead, without an inventory"
    );
    let plain = http.get(guarded.url("/")).send().await.unwrap();
    let html = plain.text().await.unwrap();
    assert!(
        html.contains("<script type=\"module\">") && page_inventory(&html).is_none(),
        "{html}"
    );
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
