//! Bounded under abuse: every way a client can hold the relay's resources ends within a limit
//! — idle and trickling connections, trickled bodies, clients that stop reading, too many
//! connections, too many requests at once, a shutdown with requests still running — and
//! keep-alive holds under load.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use common::{
    Relay, TestCert, TlsServer, client, device, healthy_device, metrics, relay_error_code,
    relay_with_limits, state,
};
use relay::config::Limits;
use relay::inventory::Timeouts;
use relay::trust::TrustPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(800),
        send_timeout: Duration::from_millis(500),
        ..Limits::default()
    }
}

/// Read until the relay closes the connection; what it sent, and how long that took.
async fn until_closed<R: tokio::io::AsyncRead + Unpin>(
    stream: &mut R,
    bound: Duration,
) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(bound, stream.read(&mut buf)).await {
            Err(_) => panic!("the relay kept the connection open for over {bound:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
    (got, started.elapsed())
}

async fn healthz(relay: &Relay) -> u16 {
    client()
        .get(relay.url("/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test]
async fn idle_and_trickling_connections_are_closed_at_the_header_timeout() {
    let relay = relay_with_limits(vec![], Timeouts::default(), limits()).await;
    // Idle: connected, nothing sent.
    let mut idle = TcpStream::connect(relay.addr).await.unwrap();
    // Trickled headers: one byte every 100 ms, never finishing.
    let mut trickle = TcpStream::connect(relay.addr).await.unwrap();
    let trickler = tokio::spawn({
        let mut writer = TcpStream::connect(relay.addr).await.unwrap();
        async move {
            for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaa" {
                if writer.write_all(&[*byte]).await.is_err() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }
    });
    trickle
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 1")
        .await
        .unwrap();
    assert_eq!(healthz(&relay).await, 200, "others are served meanwhile");
    let (_, idle_for) = until_closed(&mut idle, Duration::from_secs(3)).await;
    let (_, trickled_for) = until_closed(&mut trickle, Duration::from_secs(3)).await;
    assert!(idle_for < Duration::from_millis(1500), "{idle_for:?}");
    assert!(
        trickled_for < Duration::from_millis(1500),
        "{trickled_for:?}"
    );
    assert!(trickler.await.unwrap(), "the trickling writer was cut off");

    // A kept-alive connection idles out after the same time.
    let mut kept = TcpStream::connect(relay.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let (reply, after) = until_closed(&mut kept, Duration::from_secs(3)).await;
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
    assert!(after < Duration::from_millis(1500), "{after:?}");
}

#[tokio::test]
async fn a_trickled_body_is_refused_at_the_body_timeout() {
    let (device, config) = healthy_device("ok").await;
    let relay = relay_with_limits(vec![config], Timeouts::default(), limits()).await;
    let (mut reader, mut writer) = TcpStream::connect(relay.addr).await.unwrap().into_split();
    let head = format!(
        "POST /api/devices/ok/fwd/mgmt/x HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        relay.addr
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let trickler = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b"a").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    assert_eq!(healthz(&relay).await, 200, "others are served meanwhile");
    let (reply, took) = until_closed(&mut reader, Duration::from_secs(4)).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"code\":\"bad_request\""), "{reply}");
    trickler.abort();
    drop(device);
}

#[tokio::test]
async fn a_client_that_stops_reading_its_reply_is_dropped() {
    let cert = TestCert::self_signed();
    let huge = Router::new().fallback(|| async {
        let pieces = (0..1024).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 64 * 1024]));
        axum::body::Body::from_stream(futures_util::stream::iter(pieces))
    });
    let server = TlsServer::start(&cert, huge).await;
    let limits = Limits {
        max_reply: u64::MAX,
        ..limits()
    };
    let relay = relay_with_limits(
        vec![device(
            "big",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )],
        Timeouts::default(),
        limits,
    )
    .await;
    let mut stream = TcpStream::connect(relay.addr).await.unwrap();
    let request = format!(
        "GET /api/devices/big/fwd/mgmt/x HTTP/1.1\r\nHost: {}\r\n\r\n",
        relay.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Not reading for a while: the relay's writes stall, then it gives the connection up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(healthz(&relay).await, 200);
    let (got, _) = until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        got.len() < 64 << 20,
        "the whole 64 MiB reply was kept for a client that stopped reading ({} bytes)",
        got.len()
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_is_free() {
    let limits = Limits {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(10),
        ..Limits::default()
    };
    let relay = relay_with_limits(vec![], Timeouts::default(), limits).await;
    let first = TcpStream::connect(relay.addr).await.unwrap();
    let _second = TcpStream::connect(relay.addr).await.unwrap();
    // Both slots are taken by idle connections: a third client is not served...
    let waiting = client()
        .get(relay.url("/healthz"))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(waiting.is_err(), "served past the connection cap");
    // ...until one of them goes away.
    drop(first);
    assert_eq!(healthz(&relay).await, 200);
}

#[tokio::test]
async fn requests_past_the_in_flight_cap_are_shed_with_retry_after() {
    let release = Arc::new(tokio::sync::Notify::new());
    let arrived = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let holding = Router::new().fallback({
        let (release, arrived) = (release.clone(), arrived.clone());
        move || {
            let (release, arrived) = (release.clone(), arrived.clone());
            async move {
                let notified = release.notified();
                arrived.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                notified.await;
                "{}"
            }
        }
    });
    let cert = TestCert::self_signed();
    let server = TlsServer::start(&cert, holding).await;
    let limits = Limits {
        max_in_flight: 2,
        ..Limits::default()
    };
    let relay = relay_with_limits(
        vec![device(
            "slow",
            &server.base_url(),
            TrustPolicy::pin(&cert.fingerprint()).unwrap(),
        )],
        Timeouts::default(),
        limits,
    )
    .await;
    let url = relay.url("/api/devices/slow/fwd/mgmt/x");
    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(client().get(url.clone()).send()))
        .collect();
    // Wait until both are in flight at the device.
    let started = Instant::now();
    while arrived.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shed_at = Instant::now();
    let shed = client().get(&url).send().await.unwrap();
    assert!(
        shed_at.elapsed() < Duration::from_millis(500),
        "shed at once"
    );
    assert_eq!(shed.status(), 503);
    assert_eq!(shed.headers().get("retry-after").unwrap(), "1");
    assert_eq!(relay_error_code(shed).await, "overloaded");
    assert_eq!(healthz(&relay).await, 200, "health checks are never shed");
    for probe in ["/livez", "/readyz"] {
        let answer = client().get(relay.url(probe)).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{probe} is never shed");
    }
    release.notify_waiters();
    for call in held {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    // Capacity is back.
    let again = tokio::spawn(client().get(url).send());
    while arrived.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the call never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    release.notify_waiters();
    assert_eq!(again.await.unwrap().unwrap().status(), 200);
}

#[tokio::test]
async fn a_slow_client_cannot_hold_up_shutdown_past_the_deadline() {
    let (device, config) = healthy_device("ok").await;
    let limits = Limits {
        shutdown_deadline: Duration::from_millis(300),
        body_read_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(relay::serve(
        listener,
        state(vec![config], Timeouts::default()).with_limits(limits),
        async {
            let _ = stopped.await;
        },
    ));
    // A request whose body never finishes.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/devices/ok/fwd/mgmt/x HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000\r\n\r\nabc"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), server)
        .await
        .expect("serve returned within the deadline")
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(device);
}

/// One HTTP/1.1 exchange on a kept-alive connection: the status and the body.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> (u16, Vec<u8>) {
    stream.write_all(request).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert_eq!(n, 1, "the relay closed a kept-alive connection");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("a reply of known length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    (status, body)
}

#[tokio::test]
async fn keep_alive_holds_for_many_sequential_requests_from_many_clients() {
    let (device, config) = healthy_device("ok").await;
    let relay = relay_with_limits(vec![config], Timeouts::default(), Limits::default()).await;
    let request = format!(
        "GET /api/devices/ok/fwd/mgmt/tm/sys/version HTTP/1.1\r\nHost: {}\r\n\r\n",
        relay.addr
    );
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (addr, request) = (relay.addr, request.clone());
            tokio::spawn(async move {
                let mut connection = TcpStream::connect(addr).await.unwrap();
                for _ in 0..50 {
                    let (status, body) = exchange(&mut connection, request.as_bytes()).await;
                    assert_eq!(status, 200);
                    assert_eq!(body, b"{\"ok\":true}");
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    let text = metrics(&relay).await;
    assert!(
        text.contains("tokendeck_device_requests_total{device=\"ok\",status=\"200\"} 800"),
        "{text}"
    );
    // One connection per client (plus this scrape's), each kept for all its 50 requests.
    assert!(
        text.contains("tokendeck_connections_accepted_total 17"),
        "{text}"
    );
    drop(device);
}

/// Connections opened together are spread over the server's workers (one per core) rather than
/// queued on whichever worker woke first; `/metrics` counts each worker's.
#[tokio::test]
async fn a_burst_of_connections_is_spread_over_the_workers() {
    let relay = Relay::with_devices(vec![]).await;
    let mut streams = Vec::new();
    for _ in 0..16 {
        streams.push(TcpStream::connect(relay.addr).await.unwrap());
    }
    // A request answered on each, so each has been accepted and placed.
    for stream in &mut streams {
        let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", relay.addr);
        stream.write_all(request.as_bytes()).await.unwrap();
        let head = common::read_head(stream).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }
    let text = metrics(&relay).await;
    let open: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with("tokendeck_connections_open_by_worker{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(open.len(), workers.min(64), "one count per worker:\n{text}");
    // The sixteen, and the connection that asked for the metrics.
    assert_eq!(open.iter().sum::<usize>(), 17, "{text}");
    let (most, least) = (open.iter().max().unwrap(), open.iter().min().unwrap());
    assert!(
        most - least <= 1,
        "connections per worker {open:?}:\n{text}"
    );
}
