//! Device faults, each answered with the relay's specific error code in bounded time while
//! another device keeps being served: down, silent, closing, cutting its reply off, garbage,
//! oversized replies, a certificate swapped under a pin, and a name that does not resolve.

mod common;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use common::{
    RawDevice, Relay, TestCert, TlsServer, client, device, healthy_device, metrics,
    others_are_served, read_head, relay_with_limits,
};
use relay::config::Limits;
use relay::inventory::{DeviceConfig, Timeouts};
use relay::trust::TrustPolicy;
use tokio::io::AsyncWriteExt;

const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(300),
    request: Duration::from_millis(600),
    pool_idle: Duration::from_secs(60),
    reply_idle: Duration::from_millis(400),
};

/// Longest a faulty call may take to be answered (the limits above, plus slack).
const BOUND: Duration = Duration::from_secs(3);

/// A relay in front of `faulty` (id `x`) and a healthy device (id `ok`).
async fn relay_for(faulty: DeviceConfig, limits: Limits) -> (Relay, TlsServer) {
    let (healthy, healthy_config) = healthy_device("ok").await;
    let relay = relay_with_limits(vec![faulty, healthy_config], TIMEOUTS, limits).await;
    (relay, healthy)
}

/// Call device `x` while the healthy device is called; the faulty call's response and time.
async fn call_x(relay: &Relay) -> (reqwest::Response, Duration) {
    let started = Instant::now();
    let url = relay.url("/api/devices/x/fwd/mgmt/tm/sys/version");
    let (response, ()) = tokio::join!(client().get(url).send(), others_are_served(relay, "ok"));
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "answered in {elapsed:?}");
    (response.unwrap(), elapsed)
}

async fn expect_code(relay: &Relay, status: u16, code: &str) -> String {
    let (response, _) = call_x(relay).await;
    assert_eq!(response.status(), status, "{code}");
    let marker = response.headers().get("x-tokendeck-relay-error");
    assert_eq!(
        marker.map(|v| v.as_bytes()),
        Some(&b"1"[..]),
        "a relay error"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

fn pinned(id: &str, url: &str, cert: &TestCert) -> DeviceConfig {
    device(id, url, TrustPolicy::pin(&cert.fingerprint()).unwrap())
}

#[tokio::test]
async fn a_device_that_is_down() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("https://127.0.0.1:{port}");
    let (relay, _healthy) =
        relay_for(device("x", &url, TrustPolicy::Insecure), Limits::default()).await;
    let message = expect_code(&relay, 502, "device_unreachable").await;
    assert!(message.contains("nothing accepts connections"), "{message}");
}

#[tokio::test]
async fn a_device_that_accepts_but_never_answers() {
    // TCP accepted, no TLS ever spoken.
    let mute = RawDevice::tcp(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let (relay, _healthy) = relay_for(
        device("x", &mute.base_url(), TrustPolicy::Insecure),
        Limits::default(),
    )
    .await;
    expect_code(&relay, 504, "timeout").await;

    // TLS and HTTP accepted, no reply ever sent.
    let cert = TestCert::self_signed();
    let silent = Router::new().route("/{*path}", get(std::future::pending::<()>));
    let server = TlsServer::start(&cert, silent).await;
    let (relay, _healthy) =
        relay_for(pinned("x", &server.base_url(), &cert), Limits::default()).await;
    let message = expect_code(&relay, 504, "timeout").await;
    assert!(message.contains("600 ms"), "{message}");
}

#[tokio::test]
async fn a_device_that_closes_the_connection_instead_of_answering() {
    let cert = TestCert::self_signed();
    let closing = RawDevice::tls(&cert, |mut tls| async move {
        read_head(&mut tls).await;
        drop(tls);
    })
    .await;
    let (relay, _healthy) =
        relay_for(pinned("x", &closing.base_url(), &cert), Limits::default()).await;
    let message = expect_code(&relay, 502, "device_unreachable").await;
    assert!(message.contains("closed the connection"), "{message}");
}

#[tokio::test]
async fn a_device_that_answers_garbage() {
    let cert = TestCert::self_signed();
    let garbage = RawDevice::tls(&cert, |mut tls| async move {
        read_head(&mut tls).await;
        let _ = tls
            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not http\r\n\r\n")
            .await;
        let _ = tls.shutdown().await;
    })
    .await;
    let (relay, _healthy) =
        relay_for(pinned("x", &garbage.base_url(), &cert), Limits::default()).await;
    let message = expect_code(&relay, 502, "device_unreachable").await;
    assert!(message.contains("not an HTTPS reply"), "{message}");

    // Not even TLS.
    let plain = RawDevice::tcp(|mut stream| async move {
        let _ = stream.write_all(b"220 smtp.example ESMTP ready\r\n").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    })
    .await;
    let (relay, _healthy) = relay_for(
        device("x", &plain.base_url(), TrustPolicy::Insecure),
        Limits::default(),
    )
    .await;
    expect_code(&relay, 502, "device_unreachable").await;
}

/// A device that sends `head` and `sent` bytes of body, then closes (or hangs, if `hang`).
async fn partial_reply(cert: &TestCert, head: &'static str, sent: usize, hang: bool) -> RawDevice {
    RawDevice::tls(cert, move |mut tls| async move {
        read_head(&mut tls).await;
        let _ = tls.write_all(head.as_bytes()).await;
        let _ = tls.write_all(&vec![b'x'; sent]).await;
        let _ = tls.flush().await;
        if hang {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_reply_cut_off_or_stalled_mid_body_never_looks_whole() {
    for (hang, code) in [(false, "device_unreachable"), (true, "timeout")] {
        let cert = TestCert::self_signed();
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        let cutting = partial_reply(&cert, head, 100, hang).await;
        let (relay, _healthy) =
            relay_for(pinned("x", &cutting.base_url(), &cert), Limits::default()).await;
        let (response, _) = call_x(&relay).await;
        assert_eq!(response.status(), 200, "the headers had gone out");
        let started = Instant::now();
        assert!(
            response.bytes().await.is_err(),
            "the client sees the reply cut off"
        );
        assert!(started.elapsed() < BOUND);
        let text = metrics(&relay).await;
        let line = format!("tokendeck_device_replies_cut_total{{device=\"x\",code=\"{code}\"}} 1");
        assert!(text.contains(&line), "{line}\n{text}");
    }
}

#[tokio::test]
async fn an_oversized_reply_is_refused_or_cut_off() {
    let limits = Limits {
        max_reply: 1000,
        ..Limits::default()
    };
    let cert = TestCert::self_signed();
    let declared = partial_reply(
        &cert,
        "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n",
        5000,
        false,
    )
    .await;
    let (relay, _healthy) = relay_for(pinned("x", &declared.base_url(), &cert), limits).await;
    let message = expect_code(&relay, 502, "body_too_large").await;
    assert!(message.contains("1000 bytes"), "{message}");

    let chunked = Router::new().fallback(|| async {
        let pieces = (0..10).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 500]));
        axum::body::Body::from_stream(futures_util::stream::iter(pieces))
    });
    let server = TlsServer::start(&cert, chunked).await;
    let (relay, _healthy) = relay_for(pinned("x", &server.base_url(), &cert), limits).await;
    let (response, _) = call_x(&relay).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err());
    assert!(
        metrics(&relay)
            .await
            .contains("tokendeck_device_replies_cut_total{device=\"x\",code=\"body_too_large\"} 1")
    );
}

#[tokio::test]
async fn a_certificate_swapped_under_a_pin() {
    let pinned_cert = TestCert::self_signed();
    let (router, log) = common::recording_router(vec![]);
    let impostor = TlsServer::start(&TestCert::self_signed(), router).await;
    let (relay, _healthy) = relay_for(
        pinned("x", &impostor.base_url(), &pinned_cert),
        Limits::default(),
    )
    .await;
    let message = expect_code(&relay, 502, "pin_mismatch").await;
    assert!(message.contains(&pinned_cert.fingerprint()), "{message}");
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing reached the impostor"
    );
}

#[tokio::test]
async fn a_name_that_does_not_resolve() {
    let (relay, _healthy) = relay_for(
        device("x", "https://tokendeck-test.invalid", TrustPolicy::Insecure),
        Limits::default(),
    )
    .await;
    let message = expect_code(&relay, 502, "dns_failure").await;
    assert!(message.contains("tokendeck-test.invalid"), "{message}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_worded_for_a_person() {
    let (server, config) = healthy_device("x").await;
    let config = DeviceConfig {
        trust: TrustPolicy::Ca { roots_pem: None },
        ..config
    };
    let (relay, _healthy) = relay_for(config, Limits::default()).await;
    let message = expect_code(&relay, 502, "untrusted_certificate").await;
    assert!(
        message.contains("The relay does not trust the certificate of x"),
        "{message}"
    );
    assert!(message.contains("self-signed"), "{message}");
    for internal in [
        "client error",
        "(Connect)",
        "UnknownIssuer",
        "invalid peer certificate",
    ] {
        assert!(!message.contains(internal), "{message}");
    }
    drop(server);
}
