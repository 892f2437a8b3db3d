//! Side by side: the same authenticated `GET /mgmt/tm/sys/version` to one simulated BIG-IP on
//! loopback (a) directly over HTTPS, (b) through the shipped relay and (c) through nginx as an
//! HTTPS reverse proxy with upstream keep-alive — and (d) through a second, identical nginx, a
//! control for the noise — driven by wrk at concurrency 1, 16 and 64 in interleaved rounds.
//! Reports p50/p90/p99 over every call of the rounds and throughput, each proxy's added latency,
//! upstream connection reuse and the relay's memory (idle, and under 64 concurrent 1 MiB
//! uploads), then a load of `BENCH_LOAD_CALLS` calls at 64 concurrent through the relay, each
//! checked whole, and (with `BENCH_SOAK_SECONDS`) a soak with the relay's memory sampled every
//! second; and PASS/FAIL for the targets of issue 11. A benchmark, not a test: it fails only when
//! it cannot measure.
//!
//! Run by `cargo xtask bench`, which installs nginx and wrk, builds the shipped relay
//! (`xtask/src/pgo.rs`) and passes `RELAY_BIN`, `NGINX` and `WRK`; `BENCH_ROUNDS` (5),
//! `BENCH_SECONDS` (5), `BENCH_LOAD_CALLS` (100000) and `BENCH_SOAK_SECONDS` (0: none) size the
//! run, and the tables and verdicts go to `BENCH_OUT/side_by_side.{md,targets}` when it is set.

mod load;
mod processes;
mod report;
mod upstream;
mod wrk;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use e2e::{cpu, order};
use processes::{FORWARD_PREFIX, Nginx, Relay, status_kib};
use report::{Memory, Report, Route, Sample};
use shared::wire::DeviceKind;
use simulator::SimConfig;
use upstream::NewConnections;
use wrk::Wrk;

const CONCURRENCY: [u32; 3] = [1, 16, 64];
const CALL: &str = "/mgmt/tm/sys/version";
const UPLOAD_NODE: &str = "bench-upload";
const UPLOAD_BYTES: usize = 1024 * 1024;
const UPLOAD_CONCURRENCY: u32 = 64;
const WARMUP_SECONDS: u32 = 2;

fn env_number(name: &str, default: u32) -> anyhow::Result<u32> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

fn required(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set: run `cargo xtask bench`"))
}

/// A client that trusts exactly the device's certificate.
fn direct_client(device: &simulator::RunningDevice) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(device.cert_pem.as_bytes())?)
        .build()?)
}

/// Log in once to the device for a token, and make the node the uploads rewrite.
async fn prepare_device(device: &simulator::RunningDevice) -> anyhow::Result<String> {
    let client = direct_client(device)?;
    let login: serde_json::Value = client
        .post(format!("{}/mgmt/shared/authn/login", device.base_url()))
        .json(&serde_json::json!({"username": "admin", "password": "admin", "loginProviderName": "tmos"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"]["token"]
        .as_str()
        .with_context(|| format!("no token in {login}"))?
        .to_owned();
    client
        .post(format!("{}/mgmt/tm/ltm/node", device.base_url()))
        .header("X-F5-Auth-Token", &token)
        .json(&serde_json::json!({"name": UPLOAD_NODE, "address": "192.0.2.10"}))
        .send()
        .await?
        .error_for_status()?;
    Ok(token)
}

/// The relay's `tokendeck_device_tls_handshakes_total` for device `sim`.
async fn relay_handshakes(client: &reqwest::Client, relay: &Relay) -> anyhow::Result<u64> {
    let text = client
        .get(format!("{}/metrics", relay.base))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("tokendeck_device_tls_handshakes_total{device=\"sim\"} "))
        .and_then(|n| n.trim().parse().ok())
        .context("no handshake counter for device sim in the relay's /metrics")
}

/// Resident memory of `pid` sampled every 10 ms until `stop`: the highest seen, in KiB.
fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let peak = AtomicU64::new(0);
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if let Ok(kib) = status_kib(pid, "VmRSS:") {
                peak.fetch_max(kib, Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peak.load(Ordering::Relaxed)
    })
}

fn main() -> anyhow::Result<()> {
    let relay_bin = required("RELAY_BIN")?;
    let wrk = Wrk {
        bin: PathBuf::from(required("WRK")?),
    };
    let nginx_bin = required("NGINX")?;
    let rounds = env_number("BENCH_ROUNDS", 5)?;
    let seconds = env_number("BENCH_SECONDS", 5)?;
    let load_calls = env_number("BENCH_LOAD_CALLS", 100_000)?;
    let soak_seconds = env_number("BENCH_SOAK_SECONDS", 0)?;

    // The device gets its own runtime (two workers, like `devsim`); the bench's own few calls
    // run on a second, single-threaded one.
    let device_runtime = tokio::runtime::Runtime::new()?;
    let device = device_runtime.block_on(simulator::start(
        DeviceKind::Bigip,
        "127.0.0.1:0".parse()?,
        SimConfig::default(),
    ))?;
    let calls = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let token = calls.block_on(prepare_device(&device))?;
    // Reads /metrics between runs, seconds apart: a connection idle that long may be the one the
    // relay is closing (its idle keep-alive limit is the header timeout, 10 s), so never reuse one.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;

    let dir = std::env::temp_dir().join(format!("tokendeck-side-by-side-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let relay = Relay::start(&relay_bin, &dir, &device)?;
    let idle = status_kib(relay.process.pid(), "VmRSS:")?;
    let nginx = Nginx::start(&nginx_bin, &dir, &device)?;
    let nginx_again = Nginx::start(&nginx_bin, &dir.join("control"), &device)?;
    let get = wrk::get_script(&dir, &token)?;
    let ticks = cpu::ticks_per_second();
    // The proxy a route goes through: its base URL and process.
    let proxy = |route: Route| match route {
        Route::Direct => None,
        Route::Relay => Some((&relay.base, relay.process.pid())),
        Route::Nginx => Some((&nginx.base, nginx.process.pid())),
        Route::NginxAgain => Some((&nginx_again.base, nginx_again.process.pid())),
    };
    let url = |route: Route| match proxy(route) {
        None => format!("{}{CALL}", device.base_url()),
        Some((base, _)) => format!("{base}{FORWARD_PREFIX}{CALL}"),
    };

    println!(
        "side by side: GET {CALL}, {rounds} rounds x {} concurrencies x {} paths x {seconds} s",
        CONCURRENCY.len(),
        Route::ALL.len()
    );
    for route in Route::ALL {
        wrk.run(&get, &url(route), 64, WARMUP_SECONDS)
            .with_context(|| format!("warming up {}", route.label()))?;
    }
    let mut samples = Vec::new();
    for round in 0..rounds {
        for concurrency in CONCURRENCY {
            for i in order::balanced(Route::ALL.len(), round as usize) {
                let route = Route::ALL[i];
                let handshakes_before = match route {
                    Route::Relay => Some(calls.block_on(relay_handshakes(&http, &relay))?),
                    _ => None,
                };
                let proxy_pid = proxy(route).map(|(_, pid)| pid);
                let cpu_before = proxy_pid.map(cpu::ticks).transpose()?;
                let watch = NewConnections::watch(&device);
                let measured = wrk.run(&get, &url(route), concurrency, seconds)?;
                let new_connections = watch.count();
                let cpu_us_per_call = match (proxy_pid, cpu_before) {
                    (Some(pid), Some(before)) => Some(
                        (cpu::ticks(pid)? - before) as f64 * 1e6
                            / ticks as f64
                            / measured.requests.max(1) as f64,
                    ),
                    _ => None,
                };
                let relay_handshakes = match handshakes_before {
                    Some(before) => Some(calls.block_on(relay_handshakes(&http, &relay))? - before),
                    None => None,
                };
                println!(
                    "  round {} c={concurrency:<2} {:<11} p50 {:>7.0} µs  p99 {:>7.0} µs  {:>8.0} calls/s  {} new upstream connections{}",
                    round + 1,
                    route.label(),
                    measured.p50_us,
                    measured.p99_us,
                    measured.per_second(),
                    new_connections,
                    cpu_us_per_call
                        .map(|us| format!("  proxy CPU {us:.1} µs/call"))
                        .unwrap_or_default()
                );
                samples.push(Sample {
                    route,
                    concurrency,
                    measured,
                    new_connections,
                    relay_handshakes,
                    cpu_us_per_call,
                });
            }
        }
    }

    let after_calls = status_kib(relay.process.pid(), "VmRSS:")?;
    let upload_script = wrk::upload_script(&dir, &token, UPLOAD_BYTES)?;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_rss(relay.process.pid(), stop.clone());
    let upload = wrk.run(
        &upload_script,
        &format!(
            "{}{FORWARD_PREFIX}/mgmt/tm/ltm/node/{UPLOAD_NODE}",
            relay.base
        ),
        UPLOAD_CONCURRENCY,
        seconds,
    )?;
    stop.store(true, Ordering::Relaxed);
    let sampled_peak = sampler.join().unwrap_or(0);
    let memory = Memory {
        idle,
        after_calls,
        upload_concurrency: UPLOAD_CONCURRENCY,
        upload_bytes: UPLOAD_BYTES,
        upload,
        peak: status_kib(relay.process.pid(), "VmHWM:")?.max(sampled_peak),
        after_upload: status_kib(relay.process.pid(), "VmRSS:")?,
    };

    let direct = calls.block_on(load::direct_body(
        &direct_client(&device)?,
        &url(Route::Direct),
        &token,
    ))?;
    println!(
        "load: {load_calls} calls at {} concurrent through the relay",
        load::CONCURRENT
    );
    let loaded = calls.block_on(load::run(
        &url(Route::Relay),
        &token,
        &direct,
        Some(u64::from(load_calls)),
        None,
    ))?;
    let soaked = match soak_seconds {
        0 => None,
        secs => {
            println!(
                "soak: {secs} s at {} concurrent through the relay",
                load::CONCURRENT
            );
            Some(calls.block_on(load::soak(
                relay.process.pid(),
                &url(Route::Relay),
                &token,
                &direct,
                secs,
            ))?)
        }
    };
    drop(nginx);
    drop(nginx_again);
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);

    let report = Report {
        rounds,
        seconds,
        concurrency: CONCURRENCY.to_vec(),
        samples,
        memory,
    };
    let markdown = format!(
        "{}\n{}\n{}",
        report.markdown(),
        report.counting_check(),
        load::markdown(&loaded, soaked.as_ref())
    );
    let mut verdicts: Vec<String> = report.verdicts().iter().map(ToString::to_string).collect();
    verdicts.extend(load::verdicts(&loaded, soaked.as_ref()));
    println!("\n{markdown}");
    for verdict in &verdicts {
        println!("{verdict}");
    }
    if let Some(out) = std::env::var_os("BENCH_OUT").map(PathBuf::from) {
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("side_by_side.md"), markdown)?;
        std::fs::write(out.join("side_by_side.targets"), verdicts.join("\n") + "\n")?;
    }
    Ok(())
}
