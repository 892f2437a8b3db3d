//! `devsim`: run simulated devices standalone — any subset of the kinds in `DeviceKind::ALL`,
//! each on its own HTTPS address with a fresh self-signed certificate. See `devsim --help`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Arg, Command, FromArgMatches};
use shared::devices::profile;
use shared::wire::DeviceKind;
use simulator::{Clock, ServerLimits, SimConfig, User};

/// Simulated device management APIs over HTTPS, one device per kind flag.
///
/// Start any subset of the simulated kinds. Each listener gets a self-signed certificate
/// generated at start-up; its SHA-256 fingerprint is printed so a client can pin it. State
/// lives in memory and is lost on exit. Ctrl-C or SIGTERM stops all devices: requests in
/// progress get --shutdown-grace seconds to finish, then every connection is dropped.
///
/// Example: devsim --bigip 127.0.0.1:8443 --bigiq 127.0.0.1:8444 --fmc 127.0.0.1:8445
#[derive(Debug, clap::Parser)]
#[command(name = "devsim", version, verbatim_doc_comment)]
struct Args {
    /// A user account, NAME:PASSWORD[:admin|operator] (operator when the role is left out).
    /// Repeat for more users. When given, these replace the default users admin/admin
    /// (administrator) and foo/fooPass (non-administrator).
    #[arg(long = "user", value_name = "NAME:PASSWORD[:ROLE]")]
    users: Vec<User>,

    /// A remote login provider name (LDAP, RADIUS, …) that BIG-IP and BIG-IQ logins may name
    /// besides the local one; its users are the same accounts. Repeatable.
    #[arg(long = "login-provider", value_name = "NAME")]
    remote_providers: Vec<String>,

    /// Simulated seconds per real second. 20 lets a 20-minute BIG-IP token expire in one
    /// minute; 1 is real time.
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    clock_speed: f64,

    /// A new login by a user ends that user's older sessions, as on a real FMC (the same
    /// credentials in the UI and a script log each other out). `false` lets sessions of one
    /// user live side by side.
    #[arg(
        long,
        alias = "fmc-session-takeover",
        value_name = "BOOL",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    session_takeover: bool,

    /// Seconds that requests in progress get to finish when devsim is stopped.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    shutdown_grace: u64,
}

/// The command line: one `--<kind> ADDR` flag per kind in [`DeviceKind::ALL`] (`--bigip`,
/// `--bigiq`, `--fmc`, …), then the flags of [`Args`].
fn command() -> Command {
    let kinds = DeviceKind::ALL
        .into_iter()
        .fold(Command::new("devsim"), |cmd, kind| {
            cmd.arg(
                Arg::new(kind.name())
                    .long(kind.name())
                    .value_name("ADDR")
                    .value_parser(clap::value_parser!(SocketAddr))
                    .help(format!(
                        "Serve a simulated {} on ADDR (IP:PORT)",
                        profile(kind).label
                    )),
            )
        });
    <Args as clap::Args>::augment_args(kinds)
}

/// `--a, --b or --c`: every kind's flag, for messages.
fn kind_flags() -> String {
    let flags: Vec<String> = DeviceKind::ALL
        .into_iter()
        .map(|kind| format!("--{kind}"))
        .collect();
    match flags.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("devsim: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let matches = command().get_matches();
    let args = Args::from_arg_matches(&matches)?;
    if !(args.clock_speed.is_finite() && args.clock_speed > 0.0) {
        bail!(
            "--clock-speed must be a positive number, got {}",
            args.clock_speed
        );
    }
    let wanted: Vec<(DeviceKind, SocketAddr)> = DeviceKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let addr = matches.get_one::<SocketAddr>(kind.name())?;
            Some((kind, *addr))
        })
        .collect();
    if wanted.is_empty() {
        bail!(
            "nothing to run: give at least one of {} (see --help)",
            kind_flags()
        );
    }
    let mut config = SimConfig {
        clock: Clock::with_speed(args.clock_speed),
        remote_providers: args.remote_providers,
        session_takeover: args.session_takeover,
        limits: ServerLimits {
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
            ..ServerLimits::default()
        },
        ..SimConfig::default()
    };
    if !args.users.is_empty() {
        config.users = args.users;
    }

    let mut running = Vec::new();
    for (kind, addr) in wanted {
        let label = profile(kind).label;
        let device = simulator::start(kind, addr, config.clone())
            .await
            .with_context(|| format!("could not start the {label} simulator on {addr}"))?;
        println!("{label:<10} {}  {}", device.base_url(), device.fingerprint);
        running.push(device);
    }
    let names: Vec<&str> = config.users.iter().map(|u| u.name.as_str()).collect();
    println!(
        "users: {}; clock speed {}x; Ctrl-C stops",
        names.join(", "),
        args.clock_speed
    );

    stop_signal().await?;
    let stopping: Vec<_> = running
        .into_iter()
        .map(|device| tokio::spawn(device.shutdown()))
        .collect();
    for device in stopping {
        let _ = device.await;
    }
    println!("stopped");
    Ok(())
}

/// Ctrl-C, or SIGTERM (how service managers and `kill` stop a process).
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.context("waiting for Ctrl-C"),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}
