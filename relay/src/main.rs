//! `relay`: the Tokendeck server. `relay --help` documents the options.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use relay::config::{LogFormat, Settings};
use relay::inventory::{Inventory, InventoryOptions};
use relay::pins::PinStore;
use relay::static_files::AppFiles;
use relay::{AppState, demo};

const AFTER_HELP: &str = "\
CONFIGURATION
  Every key of the configuration file can be set by an environment variable: TOKENDECK_ and the
  key's path in upper case, with sections and device ids separated by a double underscore (in a
  device id, '-' and '.' become '_'). Lists are comma-separated. Precedence: command-line flag,
  then environment, then file, then default.
    listen                            TOKENDECK_LISTEN=127.0.0.1:8080
    access_key                        TOKENDECK_ACCESS_KEY=...
    allowed_hosts                     TOKENDECK_ALLOWED_HOSTS=relay.example.com
    allowed_origins                   TOKENDECK_ALLOWED_ORIGINS=https://portal.example.com
    [limits] request_timeout_ms       TOKENDECK_LIMITS__REQUEST_TIMEOUT_MS=30000
    [ad_hoc] allowed                  TOKENDECK_AD_HOC__ALLOWED=10.1.0.0/16,*.lab.example.com
    pin of device lab-bigip           TOKENDECK_DEVICES__LAB_BIGIP__PIN=sha256:...
  See tokendeck.example.toml for every key. RUST_LOG sets the log filter (default info).

SECURITY DEFAULTS
  Listens on 127.0.0.1 only. Any other address needs an access key (access_key, or
  access_key_file for a mounted secret), which the app asks for once and sends in the
  x-tokendeck-access-key header; wrong keys are rate-limited per address. The relay answers only
  to localhost, loopback addresses, its bound address and allowed_hosts (DNS-rebinding defence),
  and to cross-origin pages only from allowed_origins.

ENDPOINTS
  GET  /api/devices                 the inventory
  POST /api/devices                 admit an ad-hoc device ({kind, base_url}; needs [ad_hoc])
  POST /api/devices/{id}/probe      the certificate the device presents (trust on first use)
  POST /api/devices/{id}/trust      pin it ({fingerprint}); off with allow_tofu = false
  ANY  /api/devices/{id}/fwd/{path} forward one call to the device
  GET  /healthz, GET /metrics       health, Prometheus metrics (access key if one is set)";

/// Serve the Tokendeck console and relay its calls to network devices (F5 BIG-IP, BIG-IQ,
/// Cisco FMC) over TLS with a trust policy per device.
#[derive(Parser, Debug)]
#[command(version, about, after_long_help = AFTER_HELP)]
struct Args {
    /// Configuration file (TOML); see tokendeck.example.toml.
    #[arg(long, short, env = "TOKENDECK_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]. Non-loopback needs an access key.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Start simulated devices in-process and add them to the inventory (pinned automatically).
    #[arg(long)]
    demo: bool,
    /// With --demo: simulated seconds per real second (20 lets a 20-minute token expire in a minute).
    #[arg(long, default_value_t = 1.0)]
    clock_speed: f64,
    /// Folder holding the built app [default: the embedded app if built with `embed-app`, else ./dist].
    #[arg(long)]
    dist: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// Serve on a non-loopback address WITHOUT an access key. Only behind a proxy that
    /// authenticates every user.
    #[arg(long)]
    insecure_no_access_key: bool,
    /// Validate the configuration and exit.
    #[arg(long)]
    check: bool,
}

impl Args {
    /// Flags as configuration overrides, applied after the environment.
    fn overrides(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(listen) = self.listen {
            out.push(("TOKENDECK_LISTEN".into(), listen.to_string()));
        }
        if self.insecure_no_access_key {
            out.push(("TOKENDECK_INSECURE_NO_ACCESS_KEY".into(), "true".into()));
        }
        out
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = std::env::vars().chain(args.overrides());
    let (mut settings, ignored) = Settings::load(args.config.as_deref(), env)?;
    init_logging(args.log_format.unwrap_or(settings.log_format));
    for var in ignored {
        tracing::warn!(%var, "ignoring an environment variable that names no configuration key");
    }
    if args.check {
        println!("configuration OK: {} device(s)", settings.devices.len());
        return Ok(());
    }

    let demo_devices = if args.demo {
        let devices = demo::start_demo_devices(simulator::Clock::with_speed(args.clock_speed))
            .await
            .context("starting the simulated devices")?;
        for device in &devices.inventory {
            tracing::info!(id = %device.id, url = %device.base_url, "simulated device");
        }
        settings.devices.extend(devices.inventory.iter().cloned());
        Some(devices)
    } else {
        None
    };
    if settings.devices.is_empty() && !settings.ad_hoc.enabled() {
        bail!("no devices: pass --config tokendeck.toml (see tokendeck.example.toml) or --demo");
    }

    let pins = match &settings.state_file {
        Some(path) if settings.allow_tofu => PinStore::open(path)?,
        _ => PinStore::in_memory(),
    };
    let options = InventoryOptions {
        pins,
        deny_tofu: !settings.allow_tofu,
        ad_hoc: settings.ad_hoc.clone(),
    };
    let inventory = Inventory::with_options(settings.devices.clone(), settings.timeouts, options)?;
    for device in inventory.devices() {
        tracing::info!(id = %device.config.id, url = %device.config.base_url, trust = ?device.trust.summary(), "device");
    }

    let files = match (&args.dist, AppFiles::embedded()) {
        (Some(dir), _) => AppFiles::Dir(dir.clone()),
        (None, Some(embedded)) => embedded,
        (None, None) => AppFiles::Dir(settings.dist.clone().unwrap_or_else(|| "dist".into())),
    };
    if !files.has_index() {
        tracing::warn!(app = %files.describe(), "no built app here: only the API is served (build it with `cargo xtask build`)");
    } else {
        tracing::info!(app = %files.describe(), "serving the console");
    }

    if settings.access.no_access_key && !settings.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %settings.listen,
            "INSECURE: serving on a non-loopback address WITHOUT an access key \
             (insecure_no_access_key); anyone who reaches this port can use every device"
        );
    }
    let state = AppState::new(inventory, None)
        .with_app_files(Some(files))
        .with_access(settings.access.clone())
        .with_max_body(settings.max_body);
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!();
    println!("  Tokendeck console: http://{addr}/");
    if demo_devices.is_some() {
        println!("  Demo credentials:  admin / admin  (administrator)");
        println!("                     foo / fooPass  (non-administrator)");
    }
    println!("  Press Ctrl-C to stop.");
    println!();
    relay::serve(listener, state, shutdown_signal()).await?;
    drop(demo_devices);
    tracing::info!("stopped");
    Ok(())
}
