//! The `devsim` binary stops on SIGTERM within its shutdown grace, even with a client in the
//! middle of a request, and says so.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::raw::{Raw, request};

/// The child process, killed if the test fails before it exits.
struct Devsim(Child);

impl Drop for Devsim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn devsim_stops_on_sigterm_within_its_grace_despite_a_slow_client() {
    let mut child = Devsim(
        Command::new(env!("CARGO_BIN_EXE_devsim"))
            .args(["--fmc", "127.0.0.1:0", "--shutdown-grace", "1"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("devsim starts"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    // "<kind>  https://127.0.0.1:PORT  sha256:…"
    let first = lines
        .recv_timeout(Duration::from_secs(30))
        .expect("devsim prints its devices");
    let word = |prefix: &str| {
        first
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {first:?}"))
            .to_owned()
    };
    let addr = word("https://")
        .trim_start_matches("https://")
        .parse()
        .unwrap();
    let fingerprint = word("sha256:");

    // A request whose body never finishes.
    let mut slow = Raw::connect_pinned(addr, &fingerprint).await;
    let text = request(
        "POST",
        "/api/fmc_platform/v1/auth/generatetoken",
        &[("Authorization", "Basic YWRtaW46YWRtaW4=")],
        "null      ",
    );
    slow.send(&text[..text.len() - 4]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "devsim still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = started.elapsed();
    assert!(
        status.success(),
        "{status}: ended by the signal, not by itself"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let said: Vec<String> = lines.iter().collect(); // until devsim's stdout closes
    assert!(said.iter().any(|l| l == "stopped"), "{said:?}");
    assert!(slow.closed_within(Duration::from_secs(1)).await);
}
