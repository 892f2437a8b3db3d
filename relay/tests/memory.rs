//! Memory stays bounded under concurrent large uploads: request bodies stream to the device
//! (with the client's `Content-Length`) instead of being buffered whole.
//!
//! Alone in its own test binary: it measures this process's peak resident memory.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::Request;
use common::{Relay, TestCert, TlsServer, device, state};
use http_body_util::BodyExt;
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;

const UPLOADS: usize = 48;
/// Just under the relay's default limit (the FMC's 2,048,000 bytes).
const UPLOAD_BYTES: usize = 2_000_000;
const CHUNK: usize = 64 * 1024;

/// `VmRSS` or `VmHWM` of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Reset the peak (`VmHWM`) to the current resident size.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// A device that reads each body as it arrives (keeping nothing) and counts the bytes.
async fn draining_device(received: Arc<AtomicU64>) -> (TlsServer, TestCert) {
    let cert = TestCert::self_signed();
    let router = Router::new().fallback(move |request: Request| {
        let received = received.clone();
        async move {
            let declared = request
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_owned();
            let mut body = request.into_body();
            let mut n = 0u64;
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    n += data.len() as u64;
                }
            }
            received.fetch_add(n, Ordering::Relaxed);
            axum::Json(serde_json::json!({"received": n, "declared": declared}))
        }
    });
    (TlsServer::start(&cert, router).await, cert)
}

fn upload() -> reqwest::Body {
    let chunks = (0..UPLOAD_BYTES.div_ceil(CHUNK)).map(|i| {
        let len = CHUNK.min(UPLOAD_BYTES - i * CHUNK);
        Ok::<_, std::io::Error>(vec![b'{'; len])
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_large_uploads_cost_bounded_memory() {
    let received = Arc::new(AtomicU64::new(0));
    let (server, cert) = draining_device(received.clone()).await;
    let relay = Relay::start(state(
        vec![device(
            "fmc",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )],
        Timeouts::default(),
    ))
    .await;
    let url = relay.url("/api/devices/fmc/fwd/api/fmc_config/v1/domain/x/object/hosts");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let send = || {
        http.post(&url)
            .header("content-type", "application/json")
            .header("content-length", UPLOAD_BYTES)
            .body(upload())
            .send()
    };
    // Warm up pools and allocators, then measure from here.
    let reply: serde_json::Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(reply["received"], UPLOAD_BYTES);
    assert!(
        reply["declared"] == "2000000",
        "the device got the client's Content-Length: {reply}"
    );
    let before = status_kib("VmRSS:");
    reset_peak();
    let calls: Vec<_> = (0..UPLOADS).map(|_| tokio::spawn(send())).collect();
    for call in calls {
        let response = call.await.unwrap().unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
    }
    let peak = status_kib("VmHWM:");
    let grew = peak.saturating_sub(before);
    assert_eq!(
        received.load(Ordering::Relaxed),
        ((UPLOADS + 1) * UPLOAD_BYTES) as u64
    );
    let buffered_whole = (UPLOADS * UPLOAD_BYTES / 1024) as u64;
    println!(
        "{UPLOADS} concurrent uploads of {UPLOAD_BYTES} bytes: peak grew by {grew} KiB \
         (buffering them whole would take {buffered_whole} KiB)"
    );
    assert!(
        grew < buffered_whole / 2,
        "peak memory grew by {grew} KiB for {UPLOADS} uploads"
    );
}
