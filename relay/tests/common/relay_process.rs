//! The `relay` binary as an operator runs it: a process with a config file, on a free loopback
//! port, its output kept for the test to read; killed when dropped (and when the test ends).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::redis_server::dies_with_its_test;

fn relay_command(config: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_relay"));
    command
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .env_remove("STATE_DIRECTORY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    dies_with_its_test(&mut command);
    let mut command = Command::from(command);
    command.kill_on_drop(true);
    command
}

/// Write `text` as `dir/name` and return its path.
pub fn write(dir: impl AsRef<Path>, name: &str, text: &str) -> PathBuf {
    let path = dir.as_ref().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `relay --check --config <config>`: whether it passed, and everything it printed.
pub async fn check(config: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = relay_command(config, env);
    command.arg("--check");
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("relay --check finishes")
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// `relay --init-state --config <config>` with `extra` flags (`--adopt-pins`, `--force`):
/// whether it succeeded, and everything it printed.
pub async fn init_state(config: &Path, extra: &[&str]) -> (bool, String) {
    let mut command = relay_command(config, &[]);
    command.arg("--init-state").args(extra);
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("relay --init-state finishes")
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// A running relay process.
pub struct RelayProcess {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Mutex<String>>,
}

impl RelayProcess {
    /// Start `relay --config <config> --listen 127.0.0.1:0` and wait until it serves.
    pub async fn start(config: &Path, env: &[(&str, &str)]) -> Self {
        match Self::try_start(config, env).await {
            Ok(relay) => relay,
            Err(output) => panic!("the relay did not start:\n{output}"),
        }
    }

    /// As [`RelayProcess::start`]; a relay that exits instead gives everything it printed.
    pub async fn try_start(config: &Path, env: &[(&str, &str)]) -> Result<Self, String> {
        let mut command = relay_command(config, env);
        command.args(["--listen", "127.0.0.1:0"]);
        let mut child = command.spawn().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut all = output.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let printed = output.lock().unwrap().clone();
            if let Some(addr) = printed
                .lines()
                .find_map(|l| l.trim().strip_prefix("Tokendeck console: http://"))
                .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            {
                return Ok(Self {
                    child,
                    addr,
                    output,
                });
            }
            if child.try_wait().unwrap().is_some() || tokio::time::Instant::now() > deadline {
                // Let the readers catch the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(output.lock().unwrap().clone());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Everything the relay printed so far (its log).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn pid(&self) -> libc::pid_t {
        self.child.id().expect("the relay is running") as libc::pid_t
    }

    /// Send SIGTERM, as an orchestrator does.
    pub fn terminate(&self) {
        // SAFETY: sending a signal to our own child.
        assert_eq!(unsafe { libc::kill(self.pid(), libc::SIGTERM) }, 0);
    }

    /// Wait for the process to exit (at most `limit`).
    pub async fn exited(&mut self, limit: Duration) -> ExitStatus {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("the relay exits in time")
            .unwrap()
    }
}
