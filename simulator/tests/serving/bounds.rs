//! Bounded under abuse: idle and trickling clients are cut off, a flood of slow connections
//! cannot keep another client out, and shutdown meets its deadline whatever clients do.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shared::wire::DeviceKind;
use simulator::{ServerLimits, SimConfig};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::common::Sim;
use crate::common::raw::{Raw, request};
use crate::quick_limits;

/// A connection that has served one request and now sits idle.
async fn served_then_idle(sim: &Sim) -> Raw {
    let mut raw = Raw::connect(&sim.device).await;
    let echo = request(
        "GET",
        "/mgmt/shared/echo-query",
        &[("Authorization", "Basic YWRtaW46YWRtaW4=")],
        "",
    );
    raw.send(echo).await.unwrap();
    assert_eq!(raw.response().await.unwrap().status, 200);
    raw
}

/// The head and all but the last bytes of a login: a request whose body never finishes.
async fn unfinished_login(sim: &Sim) -> Raw {
    let mut raw = Raw::connect(&sim.device).await;
    let login = request(
        "POST",
        "/mgmt/shared/authn/login",
        &[],
        r#"{"username":"admin","password":"admin"}"#,
    );
    raw.send(&login[..login.len() - 5]).await.unwrap();
    raw
}

async fn device(limits: ServerLimits) -> Sim {
    let config = SimConfig {
        limits,
        ..SimConfig::default()
    };
    Sim::start_with(DeviceKind::Bigip, config).await
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
    let sim = device(ServerLimits {
        header_read: Duration::from_secs(30),
        ..quick_limits()
    })
    .await;
    // Never a request.
    let mut silent = Raw::connect(&sim.device).await;
    // One request, then silence.
    let mut done = served_then_idle(&sim).await;
    let started = Instant::now();
    assert!(silent.closed_within(Duration::from_secs(4)).await);
    assert!(done.closed_within(Duration::from_secs(4)).await);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the timeout"
    );
    assert_eq!(sim.device.connections().open(), 0);
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off_at_the_header_timeout() {
    let sim = device(ServerLimits {
        idle_keep_alive: Duration::from_secs(30),
        ..quick_limits()
    })
    .await;
    let mut raw = Raw::connect(&sim.device).await;
    raw.send("GET /mgmt/tm/sys HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        if raw.send("X-Trickle: 1\r\n").await.is_err()
            || raw.closed_within(Duration::from_millis(200)).await
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "a trickling client was still connected after 4 s"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408_and_the_connection_closes() {
    let sim = device(ServerLimits {
        idle_keep_alive: Duration::from_secs(30),
        ..quick_limits()
    })
    .await;
    let mut raw = unfinished_login(&sim).await;
    let reply = tokio::time::timeout(Duration::from_secs(4), raw.response())
        .await
        .expect("an answer within the body timeout")
        .expect("a 408 before the close");
    assert_eq!(reply.status, 408);
    assert_eq!(reply.json()["code"], 408);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(raw.closed_within(Duration::from_secs(2)).await);
}

#[tokio::test]
async fn a_flood_of_slow_connections_cannot_keep_another_client_out() {
    let sim = device(quick_limits()).await;
    // 40 connections that never even start TLS: five times the cap of 8.
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(TcpStream::connect(sim.device.addr).await.unwrap());
    }
    let started = Instant::now();
    let reply = tokio::time::timeout(
        Duration::from_secs(15),
        sim.get("/mgmt/shared/echo-query")
            .basic_auth("admin", Some("admin"))
            .send(),
    )
    .await
    .expect("served despite the flood")
    .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    assert!(
        sim.device.connections().open() <= 8,
        "{} open",
        sim.device.connections().open()
    );
    // Every flooding connection is closed by the device, none is left hanging.
    for mut stream in flood {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut byte)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn shutdown_finishes_within_its_deadline_despite_a_slow_client() {
    let sim = device(ServerLimits {
        header_read: Duration::from_secs(60),
        body_read: Duration::from_secs(60),
        idle_keep_alive: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(1),
        ..ServerLimits::default()
    })
    .await;
    // A request whose body never finishes, and an idle keep-alive connection.
    let mut slow = unfinished_login(&sim).await;
    let mut idle = served_then_idle(&sim).await;

    let Sim { device, .. } = sim;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), device.shutdown())
        .await
        .expect("shutdown returns");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert!(idle.closed_within(Duration::from_millis(500)).await);
    assert!(slow.closed_within(Duration::from_millis(500)).await);
}

#[tokio::test]
async fn shutdown_with_only_idle_connections_is_immediate() {
    let sim = device(ServerLimits {
        idle_keep_alive: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(10),
        ..quick_limits()
    })
    .await;
    let mut idle = served_then_idle(&sim).await;
    let Sim { device, .. } = sim;
    let started = Instant::now();
    device.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "idle connections need not wait out the grace: {:?}",
        started.elapsed()
    );
    assert!(idle.closed_within(Duration::from_millis(500)).await);
}
