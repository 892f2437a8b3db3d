//! `cargo xtask <command>`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask demo [--listen ADDR] [--clock-speed N]`: install missing tools, build the
//!   console, start the relay with simulated devices, print the URL and demo credentials.
//! - `cargo xtask test`: fmt, clippy, every native test, the console's served weight against its
//!   budget, and the end-to-end tests in headless Chromium against a freshly built console.
//! - `cargo xtask build`: install missing tools and build the console into `dist/`, with
//!   precompressed `.br` and `.gz` variants beside each file.
//! - `cargo xtask relay [--out PATH] [CARGO BUILD OPTIONS]`: build the relay as it ships (the
//!   console first, then a release build optimised with a profile of its own work: `pgo.rs`),
//!   and copy it to `PATH` (the container image's build).
//! - `cargo xtask bench [--rounds N] [--seconds S] [--loads N] [--calls N] [--soak S]
//!   [--strict]`: the benchmarks of issue 11 (served weight, time to a usable login form, relay
//!   vs nginx side by side, load and soak) with PASS/FAIL against their targets, written to
//!   `docs/BENCHMARKS.md`.
//!
//! Every tool is installed only when it is missing or at the wrong version, and only from the
//! package registries (crates.io, npm, Debian).

mod bench;
mod bench_report;
mod content_hash;
mod dist;
mod pgo;
mod precompress;
mod process;
mod running_relay;
mod served_weight;
mod split;
mod tools;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::dist::build_frontend;
use crate::process::{cargo, run};
use crate::workspace::{target_dir, workspace_root};

const USAGE: &str = "usage: cargo xtask <demo [--listen ADDR] [--clock-speed N] | test | build \
     | relay [--out PATH] [CARGO BUILD OPTIONS] | bench [--rounds N] [--seconds S] [--loads N] [--calls N] [--soak S] [--strict]>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("demo") => demo(&root, &args[1..]),
        Some("test") => test(&root),
        Some("build") => {
            let tools = tools::ensure_build_tools(&root)?;
            build_frontend(&root, &tools)?;
            Ok(())
        }
        Some("relay") => shipped_relay(&root, &args[1..]),
        Some("bench") => bench::run_benches(&root, &args[1..]),
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn demo(root: &Path, args: &[String]) -> Result<()> {
    let mut relay_args: Vec<String> = vec!["--demo".into()];
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--listen" | "--clock-speed" => {
                let value = rest
                    .next()
                    .with_context(|| format!("{arg} needs a value"))?;
                relay_args.push(arg.clone());
                relay_args.push(value.clone());
            }
            other => bail!("unknown demo option {other:?}\n{USAGE}"),
        }
    }
    let tools = tools::ensure_build_tools(root)?;
    let dist = build_frontend(root, &tools)?;
    let relay = pgo::build_relay(root, &dist, &[])?;
    relay_args.push("--dist".into());
    relay_args.push(dist.display().to_string());
    eprintln!(
        "xtask: starting {} {}",
        relay.display(),
        relay_args.join(" ")
    );
    exec(Command::new(relay).args(relay_args))
}

/// `cargo xtask relay`: the console, then the relay as it ships, built with the cargo options
/// given (`--locked`, features) and copied to `--out` when one is given.
fn shipped_relay(root: &Path, args: &[String]) -> Result<()> {
    let (mut out, mut cargo_args) = (None, Vec::new());
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--out" {
            out = Some(PathBuf::from(rest.next().context("--out needs a path")?));
        } else {
            cargo_args.push(arg.clone());
        }
    }
    let tools = tools::ensure_build_tools(root)?;
    let dist = build_frontend(root, &tools)?;
    let relay = pgo::build_relay(root, &dist, &cargo_args)?;
    match out {
        Some(out) => {
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::copy(&relay, &out)
                .with_context(|| format!("copying {} to {}", relay.display(), out.display()))?;
            eprintln!("xtask: the relay is at {}", out.display());
        }
        None => eprintln!("xtask: the relay is at {}", relay.display()),
    }
    Ok(())
}

/// Replace this process with `cmd`, so Ctrl-C reaches it directly and stops it cleanly.
#[cfg(unix)]
fn exec(cmd: &mut Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    Err(cmd.exec()).context("starting the relay")
}

#[cfg(not(unix))]
fn exec(cmd: &mut Command) -> Result<()> {
    run(cmd)
}

fn test(root: &Path) -> Result<()> {
    let tools = tools::ensure_build_tools(root)?;
    let browser = tools::ensure_browser()?;
    let redis = tools::ensure_redis()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--exclude",
        "frontend",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args([
        "clippy",
        "-p",
        "frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The console's pure helpers, natively (its views need a browser: the e2e tests cover them).
    run(cargo().args(["test", "-p", "frontend"]))?;
    let dist = build_frontend(root, &tools)?;
    run(cargo().args(["build", "-p", "relay"]))?;
    let debug_relay = target_dir(root).join("debug/relay");
    served_weight::check_budget(&debug_relay, &dist)?;
    // The shipped build's training run, briefly, so it keeps working as the relay changes.
    let relay = running_relay::RunningRelay::start(&debug_relay, &dist)?;
    let calls = pgo::exercise(&relay.url, 100).context("the relay's training run")?;
    relay.stop()?;
    eprintln!("xtask: the training run's {calls} calls through the relay answered as expected");
    run(cargo()
        .args(["test", "--workspace", "--exclude", "frontend"])
        .env("TOKENDECK_DIST", &dist)
        .env("CHROMEDRIVER", &browser.chromedriver)
        .env("CHROME", &browser.chromium)
        .env("REDIS_SERVER", &redis))?;
    eprintln!("xtask: all checks passed");
    Ok(())
}
