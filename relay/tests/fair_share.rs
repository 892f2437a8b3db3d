//! One client cannot take a whole global cap, over real sockets: each client (an address, an
//! IPv6 /64; behind trusted proxies the client they name) gets at most its share of the
//! connection cap and of the in-flight cap, and is refused at once past it, so the rest stays
//! for everyone else. The attacker and the victim are separate loopback addresses (127.0.0.2
//! and 127.0.0.3), as two machines would be.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use common::{
    Relay, TestCert, TlsServer, client, device, healthy_device, metrics, relay_with_limits, state,
};
use relay::config::Limits;
use relay::guard::ProxyPolicy;
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const ATTACKER: &str = "127.0.0.2";
const VICTIM: &str = "127.0.0.3";

/// Room for a few hundred sockets on both ends (CI may start with 1024 descriptors).
fn enough_file_descriptors() {
    // SAFETY: reading and raising this process's own soft limit, within its hard limit.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_cur.max(limit.rlim_max.min(8192));
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// A connection to `relay` from the loopback address `from`.
async fn connect_from(from: &str, relay: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(relay).await.unwrap()
}

/// An HTTP client whose connections come from `from`.
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .local_address(from.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// The value of `name{cap="<cap>"}` in the relay's metrics.
async fn share_metric(relay: &Relay, name: &str, cap: &str) -> u64 {
    let text = metrics(relay).await;
    let line = format!("{name}{{cap=\"{cap}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .unwrap_or_else(|| panic!("no {line} in {text}"))
        .parse()
        .unwrap()
}

/// What the relay said on `stream` before closing it, if it closed it (or reset it) within
/// `within`; `None` while it keeps the connection open without a word.
async fn answer(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) if got.is_empty() => return None,
            Err(_) | Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

/// 260 uploads that never finish, from one address, took all 256 in-flight places: every API
/// call then got `503 overloaded` for as long as the body timeout (30 s by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_uploads_from_one_client_leave_room_for_another() {
    enough_file_descriptors();
    let (_up, up) = healthy_device("up").await;
    let (_other, other) = healthy_device("other").await;
    let limits = Limits {
        body_read_timeout: Duration::from_secs(20),
        ..Limits::default()
    };
    let relay = relay_with_limits(vec![up, other], Timeouts::default(), limits).await;
    // Connected first, so the relay has accepted them all before any request arrives.
    let mut attacker = Vec::new();
    for _ in 0..260 {
        attacker.push(connect_from(ATTACKER, relay.addr).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let head = format!(
        "POST /api/devices/up/fwd/mgmt/x HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n0123456789",
        relay.addr
    );
    for stream in &mut attacker {
        // Refused ones are closed already: writing to them may fail.
        let _ = stream.write_all(head.as_bytes()).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let victim = client_from(VICTIM);
    for path in ["/api/devices", "/api/devices/other/fwd/mgmt/tm/sys/version"] {
        let started = Instant::now();
        let response = victim.get(relay.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{path}: {:?}",
            started.elapsed()
        );
    }

    // Of the 260: 4 refused when accepted (past the share of 256 connections), 128 told at once
    // that they are past the share of 128 requests in flight, 128 held.
    let (mut over_share, mut refused_at_accept, mut held) = (0, 0, 0);
    for stream in &mut attacker {
        match answer(stream, Duration::from_millis(10)).await {
            None => held += 1,
            Some(said) if said.contains("requests in progress on this relay at once") => {
                assert!(said.starts_with("HTTP/1.1 503"), "{said}");
                assert!(said.contains("\"code\":\"overloaded\""), "{said}");
                over_share += 1;
            }
            Some(said) => {
                assert!(
                    said.is_empty() || said.contains("connections open"),
                    "{said}"
                );
                refused_at_accept += 1;
            }
        }
    }
    assert_eq!((refused_at_accept, over_share, held), (4, 128, 128));
    let refused = |cap| share_metric(&relay, "tokendeck_client_share_refused_total", cap);
    assert_eq!(refused("in_flight").await, 128);
    assert_eq!(refused("connections").await, 4);
}

/// 600 request heads that never finish, from one address, took all 512 connections: every
/// other client waited in the listen backlog until header timeouts freed some (8–9 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_header_senders_from_one_address_do_not_delay_another_client() {
    enough_file_descriptors();
    let relay = Relay::start(state(vec![], Timeouts::default())).await;
    let mut attacker = Vec::new();
    for _ in 0..600 {
        let mut stream = connect_from(ATTACKER, relay.addr).await;
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 1").await;
        attacker.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let served = client_from(VICTIM)
        .get(relay.url("/api/devices"))
        .send()
        .await
        .expect("served within 3 s");
    assert_eq!(served.status(), 200);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(500), "{took:?}");

    // Past its share of 256, each was told so and closed at once; the others are held (until
    // the header timeout).
    let (mut refused, mut held) = (0, 0);
    for stream in &mut attacker {
        match answer(stream, Duration::from_millis(5)).await {
            None => held += 1,
            Some(said) => {
                assert!(
                    said.is_empty() || said.contains("connections open"),
                    "{said}"
                );
                assert!(
                    said.is_empty() || said.starts_with("HTTP/1.1 503"),
                    "{said}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!((refused, held), (344, 256));
    assert_eq!(
        share_metric(
            &relay,
            "tokendeck_client_share_refused_total",
            "connections"
        )
        .await,
        344
    );
    // Its share is its own again once it lets go.
    drop(attacker);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let answer = client_from(ATTACKER)
            .get(relay.url("/healthz"))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status() == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the attacker's share never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A device that holds each call until released, counting the calls that arrived.
async fn holding_device() -> (
    TlsServer,
    Arc<tokio::sync::Notify>,
    Arc<AtomicUsize>,
    String,
) {
    let release = Arc::new(tokio::sync::Notify::new());
    let arrived = Arc::new(AtomicUsize::new(0));
    let holding = Router::new().fallback({
        let (release, arrived) = (release.clone(), arrived.clone());
        move || {
            let (release, arrived) = (release.clone(), arrived.clone());
            async move {
                let notified = release.notified();
                arrived.fetch_add(1, Ordering::SeqCst);
                notified.await;
                "{}"
            }
        }
    });
    let cert = TestCert::self_signed();
    let server = TlsServer::start(&cert, holding).await;
    let fingerprint = cert.fingerprint();
    (server, release, arrived, fingerprint)
}

async fn until_arrived(arrived: &AtomicUsize, n: usize) {
    let started = Instant::now();
    while arrived.load(Ordering::SeqCst) < n {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_an_ingress_each_forwarded_client_gets_its_share_in_flight() {
    let (server, release, arrived, fingerprint) = holding_device().await;
    let limits = Limits {
        max_in_flight: 16,
        max_in_flight_per_client: 4,
        ..Limits::default()
    };
    let slow = device(
        "slow",
        &server.base_url(),
        TrustPolicy::pin(&fingerprint).unwrap(),
    );
    // Every test connection comes from 127.0.0.1: the ingress.
    let proxies = ProxyPolicy::new(&["127.0.0.1".into()], None).unwrap();
    let relay = Relay::start(
        state(vec![slow], Timeouts::default())
            .with_limits(limits)
            .with_proxies(proxies),
    )
    .await;
    let url = relay.url("/api/devices/slow/fwd/mgmt/x");
    let as_client = |who: &str| {
        client()
            .get(&url)
            .header("x-forwarded-for", format!("198.51.100.1, {who}"))
            .send()
    };
    let over_share = async |who: &str| {
        let started = Instant::now();
        let shed = as_client(who).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(500), "at once");
        assert_eq!(shed.status(), 503);
        assert_eq!(shed.headers()["retry-after"], "1");
        let body: serde_json::Value = shed.json().await.unwrap();
        assert_eq!(body["code"], "overloaded");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("4 requests in progress"),
            "{who}: {message}"
        );
    };
    let mut held: Vec<_> = (0..4)
        .map(|_| tokio::spawn(as_client("203.0.113.9")))
        .collect();
    until_arrived(&arrived, 4).await;
    over_share("203.0.113.9").await;
    over_share("203.0.113.9").await;
    // Another client behind the same ingress is let in; two addresses of one IPv6 /64 share
    // one share.
    held.push(tokio::spawn(as_client("203.0.113.10")));
    for who in ["2001:db8::1", "2001:db8::2", "2001:db8::1", "2001:db8::2"] {
        held.push(tokio::spawn(as_client(who)));
    }
    until_arrived(&arrived, 9).await;
    over_share("2001:db8::3").await;
    release.notify_waiters();
    for call in held {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    let refused = share_metric(&relay, "tokendeck_client_share_refused_total", "in_flight");
    assert_eq!(refused.await, 3);
    // Given back: the first client is let in again.
    let again = tokio::spawn(as_client("203.0.113.9"));
    until_arrived(&arrived, 10).await;
    release.notify_waiters();
    assert_eq!(again.await.unwrap().unwrap().status(), 200);
}

#[tokio::test]
async fn connections_from_a_trusted_proxy_are_not_held_to_one_clients_share() {
    let limits = Limits {
        max_connections: 10,
        max_connections_per_client: 2,
        header_read_timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let proxies = ProxyPolicy::new(&["127.0.0.1".into()], None).unwrap();
    let relay = Relay::start(
        state(vec![], Timeouts::default())
            .with_limits(limits)
            .with_proxies(proxies),
    )
    .await;
    // The ingress holds five idle connections, and a sixth is served.
    let mut ingress = Vec::new();
    for _ in 0..5 {
        ingress.push(TcpStream::connect(relay.addr).await.unwrap());
    }
    let served = client().get(relay.url("/healthz")).send().await.unwrap();
    assert_eq!(served.status(), 200);
    // Anyone else gets two; the third is refused at once and closed.
    let _first = connect_from(ATTACKER, relay.addr).await;
    let _second = connect_from(ATTACKER, relay.addr).await;
    let mut third = connect_from(ATTACKER, relay.addr).await;
    let started = Instant::now();
    let said = answer(&mut third, Duration::from_secs(2))
        .await
        .expect("closed at once");
    assert!(started.elapsed() < Duration::from_secs(1), "at once");
    assert!(said.starts_with("HTTP/1.1 503"), "{said}");
    assert!(said.contains("connections open to this relay"), "{said}");
    assert!(said.contains("x-tokendeck-relay-error: 1"), "{said}");
    drop(ingress);
}
