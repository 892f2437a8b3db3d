//! Readiness that drains, for the relay binary: on SIGTERM `/readyz` fails at once while the
//! relay keeps serving for `drain_delay_ms` (the load balancer notices), then it stops
//! accepting and finishes; an unreachable device never makes it unready. Ctrl-C (no load
//! balancer) stops at once.

mod common;

use std::time::{Duration, Instant};

use common::relay_process::{RelayProcess, write};
use common::{client, temp_dir};

/// A relay whose only device is down (nothing listens on its port): the config file, and its
/// folder (removed when dropped).
fn config(name: &str, drain_delay_ms: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = temp_dir(name);
    let path = write(
        &dir,
        "tokendeck.toml",
        &format!(
            "[limits]\ndrain_delay_ms = {drain_delay_ms}\n\n[[devices]]\nid = \"down\"\nname = \"down\"\nkind = \"bigip\"\nbase_url = \"https://{closed}\"\npin = \"sha256:{}\"\n",
            "ab".repeat(32)
        ),
    );
    (dir, path)
}

async fn status(relay: &RelayProcess, path: &str) -> Option<u16> {
    let response = client().get(relay.url(path)).send().await.ok()?;
    Some(response.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_at_once_serves_through_the_drain_delay_then_stops() {
    let (_dir, config) = config("sigterm", 1500);
    let mut relay = RelayProcess::start(&config, &[]).await;
    // A device that is down does not make the relay unready.
    let down = client()
        .get(relay.url("/api/devices/down/fwd/mgmt/tm/sys/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), 502);
    assert_eq!(status(&relay, "/readyz").await, Some(200));
    assert_eq!(status(&relay, "/livez").await, Some(200));

    let signalled = Instant::now();
    relay.terminate();
    let deadline = Instant::now() + Duration::from_secs(1);
    while status(&relay, "/readyz").await != Some(503) {
        assert!(Instant::now() < deadline, "readiness never failed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(signalled.elapsed() < Duration::from_millis(1000));
    // Still alive and serving everything else meanwhile.
    assert_eq!(status(&relay, "/livez").await, Some(200));
    assert_eq!(status(&relay, "/api/devices").await, Some(200));
    let exited = relay.exited(Duration::from_secs(10)).await;
    assert!(exited.success(), "{}", relay.output());
    assert!(
        signalled.elapsed() >= Duration::from_millis(1500),
        "stopped before the drain delay: {:?}",
        signalled.elapsed()
    );
    assert_eq!(status(&relay, "/livez").await, None, "no longer accepting");
    assert!(
        relay.output().contains("/readyz now fails"),
        "{}",
        relay.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_without_waiting_for_a_load_balancer() {
    let (_dir, config) = config("sigint", 5000);
    let mut relay = RelayProcess::start(&config, &[]).await;
    let pid = relay.pid();
    let signalled = Instant::now();
    // SAFETY: signalling our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let exited = relay.exited(Duration::from_secs(10)).await;
    assert!(exited.success());
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "{:?}",
        signalled.elapsed()
    );
}
