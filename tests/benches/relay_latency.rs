//! Budget: the latency the relay adds to a device call.
//!
//! Starts a simulated BIG-IP and a relay on loopback, then times the same authenticated
//! `GET /mgmt/tm/sys/version` directly against the device and through the relay, interleaved so
//! both see the same machine noise. Reports medians and p95 and asserts the budget on the median
//! added latency. Run with `cargo xtask bench` (or `cargo bench -p e2e --bench relay_latency`).

use std::time::{Duration, Instant};

use relay::AppState;
use relay::demo::start_demo_devices;
use relay::inventory::{Inventory, Timeouts};
use simulator::Clock;

const ROUNDS: usize = 400;
const WARMUP: usize = 40;
/// Median extra time a call may spend in the relay (loopback, keep-alive on both hops).
const BUDGET_ADDED_MEDIAN: Duration = Duration::from_millis(1);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let devices = start_demo_devices(Clock::system()).await?;
    let device = &devices.running[0];
    let inventory = Inventory::new(devices.inventory.clone(), Timeouts::default())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let relay_addr = listener.local_addr()?;
    tokio::spawn(relay::serve(
        listener,
        AppState::new(inventory, None),
        std::future::pending(),
    ));

    let direct_client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(device.cert_pem.as_bytes())?)
        .build()?;
    let relay_client = reqwest::Client::new();

    let login: serde_json::Value = direct_client
        .post(format!("{}/mgmt/shared/authn/login", device.base_url()))
        .json(
            &serde_json::json!({"username":"admin","password":"admin","loginProviderName":"tmos"}),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"]["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no token in {login}"))?
        .to_owned();

    let direct_url = format!("{}/mgmt/tm/sys/version", device.base_url());
    let relay_url = format!(
        "http://{relay_addr}/api/devices/{}/fwd/mgmt/tm/sys/version",
        devices.inventory[0].id
    );
    let time = |client: &reqwest::Client, url: &str| {
        let request = client.get(url).header("X-F5-Auth-Token", &token);
        async move {
            let started = Instant::now();
            let response = request.send().await?.error_for_status()?;
            response.bytes().await?;
            anyhow::Ok(started.elapsed())
        }
    };

    let mut direct = Vec::with_capacity(ROUNDS);
    let mut relayed = Vec::with_capacity(ROUNDS);
    for round in 0..WARMUP + ROUNDS {
        let d = time(&direct_client, &direct_url).await?;
        let r = time(&relay_client, &relay_url).await?;
        if round >= WARMUP {
            direct.push(d);
            relayed.push(r);
        }
    }
    direct.sort();
    relayed.sort();
    let (dm, rm) = (percentile(&direct, 0.5), percentile(&relayed, 0.5));
    let added = rm.saturating_sub(dm);
    println!("relay latency over {ROUNDS} interleaved calls (after {WARMUP} warm-up):");
    println!(
        "  direct  median {:>8.3} ms   p95 {:>8.3} ms",
        dm.as_secs_f64() * 1e3,
        percentile(&direct, 0.95).as_secs_f64() * 1e3
    );
    println!(
        "  relayed median {:>8.3} ms   p95 {:>8.3} ms",
        rm.as_secs_f64() * 1e3,
        percentile(&relayed, 0.95).as_secs_f64() * 1e3
    );
    println!(
        "  added   median {:>8.3} ms   ratio {:.2}x   budget {:.1} ms",
        added.as_secs_f64() * 1e3,
        rm.as_secs_f64() / dm.as_secs_f64(),
        BUDGET_ADDED_MEDIAN.as_secs_f64() * 1e3
    );
    anyhow::ensure!(
        added <= BUDGET_ADDED_MEDIAN,
        "the relay adds {added:?} at the median, over the {BUDGET_ADDED_MEDIAN:?} budget"
    );
    println!("relay latency: within budget");
    Ok(())
}
