//! Budget: the relay's memory under load.
//!
//! Runs the release `devsim` (one BIG-IP) and the release `relay` as separate processes, the relay
//! configured from a file that pins the simulator's certificate, sends a bounded burst of
//! authenticated calls through the relay with some concurrency, and reads the relay's peak and
//! current resident memory from `/proc`. `cargo xtask bench` builds both binaries and passes
//! their paths in `RELAY_BIN` and `DEVSIM_BIN`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

const CALLS: usize = 4000;
const CONCURRENCY: usize = 16;
/// Peak resident memory the relay may reach serving the burst.
const BUDGET_PEAK_RSS_KIB: u64 = 32 * 1024;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let relay_bin = std::env::var("RELAY_BIN").context("RELAY_BIN (run via cargo xtask bench)")?;
    let devsim_bin =
        std::env::var("DEVSIM_BIN").context("DEVSIM_BIN (run via cargo xtask bench)")?;

    let mut devsim = Command::new(&devsim_bin)
        .args(["--bigip", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting devsim")?;
    let stdout = devsim.stdout.take().context("devsim stdout")?;
    let devsim = Killed(devsim);
    let mut devsim_out = BufReader::new(stdout);
    let mut first = String::new();
    devsim_out.read_line(&mut first)?;
    // Keep draining: devsim's next println must not meet a closed pipe.
    std::thread::spawn(move || devsim_out.lines().for_each(drop));
    let words: Vec<&str> = first.split_whitespace().collect();
    let base_url = words
        .iter()
        .find(|w| w.starts_with("https://"))
        .with_context(|| format!("no URL in {first:?}"))?;
    let pin = words
        .iter()
        .find(|w| w.starts_with("sha256:"))
        .with_context(|| format!("no fingerprint in {first:?}"))?;

    let dir = std::env::temp_dir().join(format!("tokendeck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = dir.join("tokendeck.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\n\n[[devices]]\nid = \"sim\"\nname = \"Simulated BIG-IP\"\nkind = \"bigip\"\nbase_url = \"{base_url}\"\npin = \"{pin}\"\n"
        ),
    )?;
    let mut relay = Command::new(&relay_bin)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the relay")?;
    let relay_out = relay.stdout.take().context("relay stdout")?;
    let relay = Killed(relay);
    let pid = relay.0.id();
    // The relay prints its URL once it listens; wait for that line (or its exit).
    let mut lines = BufReader::new(relay_out).lines();
    loop {
        match lines.next() {
            Some(line) => {
                if line?.contains("Tokendeck console: http://") {
                    break;
                }
            }
            None => bail!("the relay exited before listening on port {port}"),
        }
    }
    std::thread::spawn(move || lines.for_each(drop));

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let idle_rss = status_kib(pid, "VmRSS:")?;

    let login: serde_json::Value = client
        .post(format!("{base}/api/devices/sim/fwd/mgmt/shared/authn/login"))
        .json(&serde_json::json!({"username": "admin", "password": "admin", "loginProviderName": "tmos"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"]["token"]
        .as_str()
        .context("no token in the login reply")?
        .to_owned();

    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            for _ in 0..CALLS / CONCURRENCY {
                client
                    .get(format!("{base}/api/devices/sim/fwd/mgmt/tm/sys/version"))
                    .header("X-F5-Auth-Token", &token)
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed();
    let peak = status_kib(pid, "VmHWM:")?;
    let after = status_kib(pid, "VmRSS:")?;
    drop(relay);
    drop(devsim);
    let _ = std::fs::remove_dir_all(&dir);

    println!("relay memory over {CALLS} calls, {CONCURRENCY} at a time ({elapsed:.2?}):");
    println!(
        "  RSS idle {:.1} MiB, after {:.1} MiB, peak {:.1} MiB (budget {:.0} MiB)",
        idle_rss as f64 / 1024.0,
        after as f64 / 1024.0,
        peak as f64 / 1024.0,
        BUDGET_PEAK_RSS_KIB as f64 / 1024.0
    );
    anyhow::ensure!(
        peak <= BUDGET_PEAK_RSS_KIB,
        "the relay peaked at {peak} KiB, over the {BUDGET_PEAK_RSS_KIB} KiB budget"
    );
    println!("relay memory: within budget");
    Ok(())
}
