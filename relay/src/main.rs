//! `relay`: the Tokendeck server. `relay --help` documents the options.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use relay::inventory::{Inventory, Timeouts};
use relay::{AppState, demo};

/// Serve the Tokendeck console and relay its calls to network devices.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on. Loopback by default.
    #[arg(long, default_value = "127.0.0.1:8080", env = "TOKENDECK_LISTEN")]
    listen: SocketAddr,
    /// Start simulated BIG-IP, BIG-IQ and FMC devices in-process and use them as the inventory.
    #[arg(long)]
    demo: bool,
    /// With --demo: simulated seconds per real second (20 lets a 20-minute token expire in a minute).
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Directory holding the built app (index.html and the wasm bundle).
    #[arg(long, default_value = "dist", env = "TOKENDECK_DIST")]
    dist: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if !args.demo {
        anyhow::bail!("no inventory: run with --demo (configuration files are not supported yet)");
    }
    let devices = demo::start_demo_devices(simulator::Clock::with_speed(args.clock_speed))
        .await
        .context("starting the simulated devices")?;
    for device in &devices.inventory {
        tracing::info!(id = %device.id, url = %device.base_url, trust = ?device.trust.summary(), "simulated device");
    }
    let inventory = Inventory::new(devices.inventory.clone(), Timeouts::default())?;
    if !args.dist.join("index.html").exists() {
        tracing::warn!(dist = %args.dist.display(), "no built app here: only the API is served (build it with `cargo xtask demo`)");
    }
    let state = AppState::new(inventory, Some(args.dist.clone()));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!();
    println!("  Tokendeck console: http://{addr}/");
    println!("  Demo credentials:  admin / admin  (administrator)");
    println!("                     foo / fooPass  (non-administrator)");
    println!("  Press Ctrl-C to stop.");
    println!();
    relay::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    drop(devices);
    tracing::info!("stopped");
    Ok(())
}
