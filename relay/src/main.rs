//! `relay`: the Tokendeck server. `relay --help` documents the options.

/// mimalloc: a forwarded call allocates a few dozen small buffers (headers, TLS records, body
/// pieces) across two threads, where glibc's allocator took about an eighth of the relay's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use relay::AppState;
use relay::access::Exposure;
use relay::config::{DEFAULT_MAX_BODY, LogFormat, Settings};
use relay::console::AppFiles;
use relay::inventory::{Inventory, InventoryOptions};
use relay::startup;
use shared::devices::profiles;
use shared::wire::budget::RateBudget;

/// The first line of `relay --help`: the kinds of device it relays to, from their profiles.
fn about() -> String {
    let labels: Vec<&str> = profiles().map(|p| p.label).collect();
    format!(
        "Serve the Tokendeck console and relay its calls to network devices ({}) over TLS with a \
         trust policy per device.",
        labels.join(", ")
    )
}

/// The rest of `relay --help`. Numbers that depend on a kind come from its profile.
fn after_help() -> String {
    let budgets: String = profiles()
        .filter_map(|p| {
            let limit = p.rules.rate_limit?;
            Some(format!(
                "\n    {}: {}",
                p.label,
                RateBudget::under(limit).describe()
            ))
        })
        .collect();
    AFTER_HELP
        .replace("{budgets}", &budgets)
        .replace("{max_body}", &format!("[{DEFAULT_MAX_BODY}]"))
}

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
    pin of device lab-1               TOKENDECK_DEVICES__LAB_1__PIN=sha256:...
    tofu of device lab-1              TOKENDECK_DEVICES__LAB_1__TOFU=true
  See tokendeck.example.toml for every key. RUST_LOG sets the log filter (default info: start-up,
  shutdown and every relay error; with proxy_user_header, each forwarded call with its client and
  user; RUST_LOG=relay=debug adds a line per request).

SHARED STATE (pins, device budgets, wrong-key lockouts)
  One replica: a pin file, state_file, by default tokendeck.state.toml in $STATE_DIRECTORY
  (systemd's StateDirectory=) or beside the config file; budgets in memory. Several replicas:
  state = \"redis://host:6379/0\" (rediss:// for TLS; state_password_file, state_ca,
  state_prefix): the first pin wins for all, each replica applies it within a second, budgets
  and lockouts are counted once. While users may pin, state_signing_key_file (32 bytes or more,
  the same for every replica) signs each pin and the store's generation marker, which
  relay --init-state writes once: a pin written without the key is refused, and a Redis that
  lost its data (flushed, restarted without persistence) reopens no pin. With Redis
  unreachable or its data lost, pins fail closed (nobody pins; a device marked tofu that is not
  pinned yet is refused) and --check fails with what to do; budgets are counted per replica
  while it is unreachable. With trust on first use on, start-up (and --check) fails if pins
  cannot be saved.

DEVICE BUDGETS (per device, across all users and replicas)
  requests_per_minute, concurrent_calls: default just under the device's own limits where its
  kind has some, none otherwise; 0 turns one off. Sign-ins and renewals may use a reserve the
  other calls leave them. A call over budget gets 429 (code device_budget) with Retry-After,
  and is never sent. The defaults:{budgets}

CLIENTS BEHIND A PROXY
  trusted_proxies = [\"10.0.0.0/8\"]: from these, the client is the rightmost X-Forwarded-For hop
  not in the list (wrong-key lockouts count it, IPv6 by /64).
  proxy_user_header = \"X-Forwarded-User\": the user a trusted authenticating proxy names,
  recorded in the relay's logs.

LIMITS ([limits], defaults in brackets)
  Towards clients:
    header_read_timeout_ms [10000]  headers of a request, counted from when the relay waits for
                                    it: an idle keep-alive connection is closed after this too
    body_read_timeout_ms   [30000]  a whole request body
    send_timeout_ms        [30000]  a client that stops reading its reply is dropped after this
    max_connections        [512]    connections served at once; more wait in the listen backlog
    max_connections_per_client [half of max_connections] per address (IPv6: per /64); more
                                    are refused at once; trusted_proxies are not counted
    max_in_flight          [256]    API requests at once; more get 503 (code overloaded) with
                                    Retry-After
    max_in_flight_per_client [half of max_in_flight] per client (behind trusted_proxies, the
                                    client they name); more get 503 (code overloaded)
    drain_delay_ms         [5000]   after SIGTERM, /readyz fails at once but the relay keeps
                                    serving this long (the load balancer notices), then drains
    shutdown_deadline_ms   [10000]  then requests still running are cut off after this
    max_body_bytes         {max_body} largest request body forwarded (streamed, never buffered);
                                    a device whose kind accepts less gets its kind's limit
    max_reply_bytes        [67108864] largest device reply passed back (streamed)
  Towards devices:
    connect_timeout_ms     [5000]   name lookup, TCP connect and TLS handshake
    request_timeout_ms     [30000]  until the device's response headers
    reply_idle_timeout_ms  [30000]  longest pause inside a device's reply body
    pool_idle_timeout_s    [60]     idle keep-alive connections to devices
    (fixed)                [64]     connections per device at once; more calls wait for one

SECURITY DEFAULTS
  Listens on 127.0.0.1 only. Any other address needs an access key (access_key, or
  access_key_file for a mounted secret), which the app asks for once and sends in the
  x-tokendeck-access-key header; five wrong keys a minute lock a client out (a right key in
  between does not reset the count). The relay answers only to localhost, loopback addresses,
  its own addresses and allowed_hosts (DNS-rebinding defence; the health checks excepted), and to
  cross-origin pages only from allowed_origins. It forwards GET, HEAD, POST, PUT, PATCH and
  DELETE only. Trust on first use: a user may pin a device only if the operator marked it
  tofu = true (and allow_tofu is on), and only once; replacing a pin is the operator's job.

ENDPOINTS
  GET  /api/info                    the relay's version; whether ad-hoc devices are admitted
  GET  /api/devices                 the inventory
  POST /api/devices                 admit an ad-hoc device ({kind, base_url}; needs [ad_hoc])
  POST /api/devices/{id}/probe      the certificate the device presents (trust on first use)
  POST /api/devices/{id}/trust      pin it ({fingerprint}); devices marked tofu = true only
  ANY  /api/devices/{id}/fwd/{path} forward one call to the device
  GET  /livez                       liveness (no Host check, no key; /healthz is the same)
  GET  /readyz                      readiness: 503 from SIGTERM on (no Host check, no key)
  GET  /metrics                     Prometheus metrics (Host check; access key if one is set)";

/// The relay's command line (`about()` is its first line of help).
#[derive(Parser, Debug)]
#[command(version, about = about(), long_about = None, after_long_help = after_help())]
struct Args {
    /// Configuration file (TOML); see tokendeck.example.toml.
    #[arg(long, short, env = "TOKENDECK_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]. Non-loopback needs an access key.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Start simulated devices in-process and add them to the inventory (pinned automatically).
    /// Needs the `demo` feature (on by default; `cargo xtask demo` uses it).
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
    /// Give the replicas' Redis its generation marker (once, on a new store; or to accept that
    /// it lost its data: users then pin again), report its pins, and exit.
    #[arg(long)]
    init_state: bool,
    /// With --init-state: sign the pins that do not verify (unsigned pins from before pins were
    /// signed), after you checked their fingerprints.
    #[arg(long, requires = "init_state")]
    adopt_pins: bool,
    /// With --init-state: replace a generation marker signed with another key.
    #[arg(long, requires = "init_state")]
    force: bool,
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

/// The log: `info` by default, which says what the relay does at start-up, on shutdown and on
/// every relay error (once, in the error layer), and nothing per successful call (counted in
/// `/metrics` instead) unless a proxy names users (`proxy_user_header`: then each forwarded
/// call, as an audit trail); `RUST_LOG=relay=debug` logs each request and forwarded call.
/// Colour only when stdout is a terminal.
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// How the relay was asked to stop.
enum Stop {
    /// Ctrl-C: someone at a terminal, no load balancer to wait for.
    Interrupt,
    /// SIGTERM: an orchestrator; fail readiness first and keep serving for the drain delay.
    Terminate,
}

async fn shutdown_signal() -> Stop {
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
        () = ctrl_c => Stop::Interrupt,
        () = terminate => Stop::Terminate,
    }
}

/// `relay --check`: everything start-up checks, the replicas' store opened, then a summary.
/// Fails too when the replicas' Redis has lost its data or was never initialised.
async fn check(settings: &Settings) -> anyhow::Result<()> {
    let state = startup::open_state(settings).await?;
    if let Some(problem) = startup::state_problem(&state) {
        bail!("{problem}");
    }
    println!("configuration OK: {} device(s)", settings.devices.len());
    println!("  pins and budgets: {}", state.describe());
    if let Some(summary) = startup::state_summary(&state) {
        println!("  {summary}");
    }
    for line in startup::budget_lines(settings) {
        println!("  budget of {line}");
    }
    for warning in startup::warnings(settings) {
        println!("  warning: {warning}");
    }
    Ok(())
}

/// `--demo`: the simulated devices (dropping them stops them), added to the inventory.
#[cfg(feature = "demo")]
async fn start_demo(
    args: &Args,
    settings: &mut Settings,
) -> anyhow::Result<Option<relay::demo::DemoDevices>> {
    if !args.demo {
        return Ok(None);
    }
    let clock = simulator::Clock::with_speed(args.clock_speed);
    let devices = relay::demo::start_demo_devices(clock)
        .await
        .context("starting the simulated devices")?;
    for device in &devices.inventory {
        tracing::info!(id = %device.id, url = %device.base_url, "simulated device");
    }
    settings.devices.extend(devices.inventory.iter().cloned());
    Ok(Some(devices))
}

/// `--demo` in a relay built without the simulator.
#[cfg(not(feature = "demo"))]
async fn start_demo(args: &Args, _: &mut Settings) -> anyhow::Result<Option<()>> {
    if args.demo {
        bail!(
            "this relay was built without the simulated devices (feature `demo`): use \
             `cargo xtask demo`, or build it with `cargo build -p relay --features demo`"
        );
    }
    Ok(None)
}

// The first of the server's workers; `serve` starts one more per core, each single-threaded.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = std::env::vars().chain(args.overrides());
    let (mut settings, ignored) = Settings::load(args.config.as_deref(), env)?;
    init_logging(args.log_format.unwrap_or(settings.log_format));
    for var in ignored {
        tracing::warn!(%var, "ignoring an environment variable that names no configuration key");
    }
    if args.check {
        return check(&settings).await;
    }
    if args.init_state {
        for line in startup::init_state(&settings, args.adopt_pins, args.force).await? {
            println!("{line}");
        }
        return Ok(());
    }
    for warning in startup::warnings(&settings) {
        tracing::warn!("{warning}");
    }

    // Kept until the relay stops: dropping the simulated devices stops them.
    let _demo_devices = start_demo(&args, &mut settings).await?;
    if settings.devices.is_empty() && !settings.ad_hoc.enabled() {
        bail!("no devices: pass --config tokendeck.toml (see tokendeck.example.toml) or --demo");
    }

    let state = std::sync::Arc::new(startup::open_state(&settings).await?);
    tracing::info!(state = %state.describe(), "pins and budgets");
    for line in startup::budget_lines(&settings) {
        tracing::info!("budget of {line}");
    }
    let options = InventoryOptions {
        state,
        deny_tofu: !settings.allow_tofu,
        ad_hoc: settings.ad_hoc.clone(),
        budgets: settings.budgets.clone(),
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

    if settings.access.exposure(settings.listen) == Ok(Exposure::OptedOut) {
        tracing::warn!(
            listen = %settings.listen,
            "INSECURE: serving on a non-loopback address WITHOUT an access key \
             (insecure_no_access_key); anyone who reaches this port can use every device"
        );
    }
    let state = AppState::new(inventory, None)
        .with_app_files(Some(files))
        .with_access(settings.access.clone())
        .with_proxies(settings.proxies.clone())
        .with_limits(settings.limits);
    let readiness = state.readiness.clone();
    let drain_delay = settings.limits.drain_delay;
    let shutdown = async move {
        if let Stop::Terminate = shutdown_signal().await {
            readiness.drain_after(drain_delay).await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;
    println!();
    println!("  Tokendeck console: http://{addr}/");
    #[cfg(feature = "demo")]
    if _demo_devices.is_some() {
        println!("  Demo credentials:  admin / admin  (administrator)");
        println!("                     foo / fooPass  (non-administrator)");
    }
    println!("  Press Ctrl-C to stop.");
    println!();
    relay::serve(listener, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_is_filled_in_from_the_kinds_profiles() {
        let help = after_help();
        for placeholder in ["{budgets}", "{max_body}"] {
            assert!(!help.contains(placeholder), "{placeholder} is left: {help}");
        }
        assert!(help.contains(&format!("[{DEFAULT_MAX_BODY}]")));
        for profile in profiles() {
            assert!(about().contains(profile.label), "{}", profile.label);
            if let Some(limit) = profile.rules.rate_limit {
                let line = format!("{}: {}", profile.label, RateBudget::under(limit).describe());
                assert!(help.contains(&line), "{line}");
            }
        }
    }
}
