//! The keep-alive pool to a device, under load: many calls at 64 concurrent are every one
//! answered, whole, over reused connections; calls beyond the per-device cap wait for a
//! connection instead of opening more; a connection the device closed while idle is replaced,
//! and after the device closed all of them the next call is answered at once.
//! (`cargo xtask bench` runs the 100,000-call version against the release relay.)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use common::{RawDevice, Relay, TestCert, TlsServer, client, device, metrics, read_head};
use relay::inventory::pool::MAX_CONNECTIONS;
use relay::trust::TrustPolicy;
use tokio::io::AsyncWriteExt;

/// The number in `text`'s line that starts with `prefix`.
fn metric(text: &str, prefix: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
}

/// TLS connections the relay's pool has opened to device `lab`.
async fn handshakes(relay: &Relay) -> u64 {
    metric(
        &metrics(relay).await,
        "tokendeck_device_tls_handshakes_total{device=\"lab\"} ",
    )
}

/// A device answering every call with `body` after `delay`, counting calls in progress.
async fn device_with(
    body: String,
    delay: Duration,
    busy: Arc<AtomicUsize>,
    most_busy: Arc<AtomicUsize>,
) -> (TlsServer, TestCert) {
    let cert = TestCert::self_signed();
    let router = Router::new().fallback(move || {
        let (body, busy, most_busy) = (body.clone(), busy.clone(), most_busy.clone());
        async move {
            let now = busy.fetch_add(1, Ordering::SeqCst) + 1;
            most_busy.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            busy.fetch_sub(1, Ordering::SeqCst);
            ([("content-type", "application/json")], body)
        }
    });
    (TlsServer::start(&cert, router).await, cert)
}

/// `calls` GETs through `relay`, `concurrent` at a time; the bodies that came back whole and
/// equal to `expected`.
async fn call_many(relay: &Relay, calls: usize, concurrent: usize, expected: &str) -> usize {
    let http = client();
    let next = Arc::new(AtomicUsize::new(0));
    let url = relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version");
    let workers: Vec<_> = (0..concurrent)
        .map(|_| {
            let (http, next, url, expected) =
                (http.clone(), next.clone(), url.clone(), expected.to_owned());
            tokio::spawn(async move {
                let mut whole = 0;
                while next.fetch_add(1, Ordering::SeqCst) < calls {
                    let response = http.get(&url).send().await.expect("an answer");
                    assert_eq!(response.status(), 200);
                    if response.text().await.expect("a whole body") == expected {
                        whole += 1;
                    }
                }
                whole
            })
        })
        .collect();
    let mut whole = 0;
    for worker in workers {
        whole += worker.await.unwrap();
    }
    whole
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_are_all_answered_whole_over_reused_connections() {
    const CALLS: usize = 3_000;
    let body = serde_json::json!({"kind": "tm:sys:version:versionstats", "pad": "v".repeat(600)})
        .to_string();
    let (busy, most_busy) = Default::default();
    let (server, cert) = device_with(body.clone(), Duration::ZERO, busy, most_busy).await;
    let pin = TrustPolicy::pin(&cert.fingerprint()).unwrap();
    let relay = Relay::with_devices(vec![device("lab", &server.base_url(), pin)]).await;

    assert_eq!(
        call_many(&relay, CALLS, 64, &body).await,
        CALLS,
        "every call answered whole"
    );
    let text = metrics(&relay).await;
    let answered = metric(
        &text,
        "tokendeck_device_requests_total{device=\"lab\",status=\"200\"} ",
    );
    assert_eq!(answered, CALLS as u64);
    let opened = metric(
        &text,
        "tokendeck_device_tls_handshakes_total{device=\"lab\"} ",
    );
    assert!(
        (1..=64).contains(&opened),
        "{opened} connections for {CALLS} calls at 64 concurrent"
    );
    assert!(!text.contains("tokendeck_relay_errors_total{"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_per_device_cap_wait_for_a_connection() {
    let calls = MAX_CONNECTIONS + 36;
    let (busy, most_busy) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
    let (server, cert) = device_with(
        "{}".into(),
        Duration::from_millis(150),
        busy,
        most_busy.clone(),
    )
    .await;
    let pin = TrustPolicy::pin(&cert.fingerprint()).unwrap();
    let relay = Relay::with_devices(vec![device("lab", &server.base_url(), pin)]).await;

    assert_eq!(call_many(&relay, calls, calls, "{}").await, calls);
    let most = most_busy.load(Ordering::SeqCst);
    assert!(
        most <= MAX_CONNECTIONS,
        "the device had {most} calls at once from one relay"
    );
    let opened = handshakes(&relay).await;
    assert!(opened <= MAX_CONNECTIONS as u64, "{opened} connections");
}

#[tokio::test]
async fn a_connection_the_device_closed_while_idle_is_replaced() {
    let cert = TestCert::self_signed();
    let (closed_tx, mut closed) = tokio::sync::mpsc::unbounded_channel::<()>();
    // Answers one call per connection (without saying so), then closes it.
    let closing = RawDevice::tls(&cert, move |mut tls| {
        let closed_tx = closed_tx.clone();
        async move {
            read_head(&mut tls).await;
            let reply =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
            let _ = tls.write_all(reply.as_bytes()).await;
            let _ = tls.shutdown().await;
            drop(tls);
            let _ = closed_tx.send(());
        }
    })
    .await;
    let pin = TrustPolicy::pin(&cert.fingerprint()).unwrap();
    let relay = Relay::with_devices(vec![device("lab", &closing.base_url(), pin)]).await;
    let http = client();
    for _ in 0..3 {
        let response = http
            .get(relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "{}");
        closed.recv().await.unwrap();
    }
    let opened = handshakes(&relay).await;
    assert_eq!(opened, 3, "one new connection for each call after a close");
}

/// The simulator closes keep-alive connections idle for `idle_keep_alive`, as real devices do;
/// the pool then holds many connections that are all closed. The next call must not wait on one
/// of them: it is answered at once, over a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_device_closed_every_idle_connection_the_next_call_is_answered_at_once() {
    let sim = simulator::start(
        shared::wire::DeviceKind::Bigip,
        "127.0.0.1:0".parse().unwrap(),
        simulator::SimConfig {
            limits: simulator::ServerLimits {
                idle_keep_alive: Duration::from_millis(300),
                ..simulator::ServerLimits::default()
            },
            ..simulator::SimConfig::default()
        },
    )
    .await
    .unwrap();
    let pin = TrustPolicy::pin(&sim.fingerprint).unwrap();
    let relay = Relay::with_devices(vec![device("lab", &sim.base_url(), pin)]).await;
    let http = client();
    let url = relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version");
    for round in 0..3 {
        // Many calls at once for a while, as a load generator makes them, so the pool keeps
        // many connections, every one busy until the load stops...
        let until = tokio::time::Instant::now() + Duration::from_millis(700);
        let workers: Vec<_> = (0..64)
            .map(|_| {
                let (http, url) = (http.clone(), url.clone());
                tokio::spawn(async move {
                    while tokio::time::Instant::now() < until {
                        // Unauthenticated: the device's own 401 is an answer all the same.
                        assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        // ...which the device then closes, idle.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let answered = tokio::time::timeout(Duration::from_secs(3), http.get(&url).send()).await;
        let status = answered
            .unwrap_or_else(|_| panic!("round {round}: no answer within 3 s"))
            .unwrap()
            .status();
        assert_eq!(status, 401, "round {round}");
    }
}

/// The keep-alive race: a device closes a connection it has kept open just as the next request
/// arrives on it, unanswered. A GET is sent once more on a new connection; a POST is not (the
/// device may have acted on it), and its caller hears that the device closed the connection.
#[tokio::test]
async fn a_get_dropped_unanswered_on_a_reused_connection_is_sent_again_once() {
    let cert = TestCert::self_signed();
    // Answers the first request on each connection and keeps it open; drops the second.
    let racing = RawDevice::tls(&cert, |mut tls| async move {
        read_head(&mut tls).await;
        let reply =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
        let _ = tls.write_all(reply.as_bytes()).await;
        read_head(&mut tls).await;
        drop(tls);
    })
    .await;
    let pin = TrustPolicy::pin(&cert.fingerprint()).unwrap();
    let relay = Relay::with_devices(vec![device("lab", &racing.base_url(), pin)]).await;
    let http = client();
    let url = relay.url("/api/devices/lab/fwd/mgmt/tm/sys/version");
    for call in 0..2 {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "call {call}");
        assert_eq!(response.text().await.unwrap(), "{}");
    }
    let opened = handshakes(&relay).await;
    assert_eq!(
        opened, 2,
        "the second GET went out again on a new connection"
    );
    // The second connection is idle in the pool now: a POST on it is dropped, and not resent.
    let posted = http.post(&url).send().await.unwrap();
    assert_eq!(posted.status(), 502);
    let body: serde_json::Value = posted.json().await.unwrap();
    assert_eq!(body["code"], "device_unreachable", "{body}");
    let opened = handshakes(&relay).await;
    assert_eq!(opened, 2, "the POST was not sent again");
}
