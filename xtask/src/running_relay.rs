//! A relay process with the simulated devices, for the steps that drive a built relay over
//! HTTP: the served-weight check, the benchmarks and the training run of the shipped build.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a relay may take to exit after an interrupt (it stops at once: no drain delay).
const STOP_WITHIN: Duration = Duration::from_secs(30);

/// A relay process serving `dist` with the simulated devices, on a loopback port the OS picks.
/// Killed when dropped; [`RunningRelay::stop`] lets it exit cleanly instead.
pub struct RunningRelay {
    child: Child,
    /// `http://127.0.0.1:<port>/`
    pub url: String,
}

impl RunningRelay {
    pub fn start(relay: &Path, dist: &Path) -> Result<Self> {
        let mut child = Command::new(relay)
            .args(["--demo", "--listen", "127.0.0.1:0", "--dist"])
            .arg(dist)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", relay.display()))?;
        let stdout = child.stdout.take().context("the relay's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        // The relay prints its URL once it listens.
        let url = loop {
            let Some(line) = lines.next() else {
                let _ = child.kill();
                bail!("{} exited before listening", relay.display());
            };
            if let Some(url) = line?.trim().strip_prefix("Tokendeck console: ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining, so a later line never meets a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child, url })
    }

    /// Interrupt the relay (SIGINT, as Ctrl-C would) and wait for it to exit on its own, so
    /// what it writes at exit is written; fails if it does not exit cleanly within
    /// [`STOP_WITHIN`].
    pub fn stop(mut self) -> Result<()> {
        let pid = self.child.id();
        crate::process::run(Command::new("sh").args(["-c", &format!("kill -INT {pid}")]))?;
        let deadline = Instant::now() + STOP_WITHIN;
        loop {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("the relay exited with {status} after an interrupt");
                }
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the relay did not exit within {} s of an interrupt",
                    STOP_WITHIN.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RunningRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
