//! `cargo xtask bench [--rounds N] [--seconds S] [--loads N] [--calls N] [--soak S] [--strict]`:
//! the benchmarks of issue 11, with PASS/FAIL against its targets, written to
//! `docs/BENCHMARKS.md`.
//!
//! - The console's weight as served: [`served_weight`] over HTTP from the release relay
//!   (target ≤ 200 KB of wasm + js + css on the wire).
//! - Time to a usable login form: `cargo bench -p e2e --bench console_load`, cold loads in
//!   headless Chromium against the same relay (target ≤ 200 ms, median).
//! - Relay vs nginx: `cargo bench -p e2e --bench side_by_side` (latency, throughput, upstream
//!   reuse, relay memory; targets: no worse than nginx, ≥ 99 % reuse, ≤ 20/60 MB), then load:
//!   `--calls` (100,000) calls at 64 concurrent through the relay, each checked whole (target:
//!   no error, nothing lost), and with `--soak S` the same load for S seconds with the relay's
//!   memory sampled every second (target: flat).
//!
//! A benchmark reports; it does not fail on a missed target unless `--strict` is given. It
//! fails when it cannot measure.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::dist::build_frontend;
use crate::process::{cargo, run};
use crate::running_relay::RunningRelay;
use crate::served_weight::{TARGET_BYTES, served_weight};
use crate::{bench_report, tools};

/// How much to measure.
pub struct BenchOptions {
    rounds: u32,
    seconds: u32,
    loads: u32,
    calls: u32,
    soak: Option<u32>,
    strict: bool,
}

impl BenchOptions {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            rounds: 5,
            seconds: 5,
            loads: 7,
            calls: 100_000,
            soak: None,
            strict: false,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let mut number = |name: &str| -> Result<u32> {
                let value = rest
                    .next()
                    .with_context(|| format!("{name} needs a value"))?;
                match value.parse() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => bail!("{name} takes a whole number above 0, not {value:?}"),
                }
            };
            match arg.as_str() {
                "--rounds" => options.rounds = number(arg)?,
                "--seconds" => options.seconds = number(arg)?,
                "--loads" => options.loads = number(arg)?,
                "--calls" => options.calls = number(arg)?,
                "--soak" => options.soak = Some(number(arg)?),
                "--strict" => options.strict = true,
                other => bail!(
                    "unknown bench option {other:?}\nusage: cargo xtask bench [--rounds N] [--seconds S] [--loads N] [--calls N] [--soak S] [--strict]"
                ),
            }
        }
        Ok(options)
    }
}

/// `cargo bench -p e2e --bench <name>` with `env`.
fn e2e_bench(name: &str, env: &[(&str, &std::ffi::OsStr)]) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "e2e", "--bench", name]);
    for (key, value) in env {
        cmd.env(key, value);
    }
    run(&mut cmd)
}

/// The PASS/FAIL lines a bench left in `out/<name>.targets`.
fn verdicts_of(out: &Path, name: &str) -> Result<Vec<String>> {
    let path = out.join(format!("{name}.targets"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.lines().map(str::to_owned).collect())
}

pub fn run_benches(root: &Path, args: &[String]) -> Result<()> {
    let options = BenchOptions::parse(args)?;
    let tools = tools::ensure_build_tools(root)?;
    let browser = tools::ensure_browser()?;
    let nginx = tools::ensure_nginx()?;
    let wrk = tools::ensure_wrk()?;
    let dist = build_frontend(root, &tools)?;
    // Compile everything first, so nothing competes with the measurements for the two cores.
    let relay_bin = crate::pgo::build_relay(root, &dist, &[])?;
    run(cargo().args([
        "bench",
        "-p",
        "e2e",
        "--no-run",
        "--bench",
        "console_load",
        "--bench",
        "side_by_side",
    ]))?;
    let out: PathBuf = root.join("target/bench-report");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;

    let weight = {
        let relay = RunningRelay::start(&relay_bin, &dist)?;
        let weight = served_weight(&relay.url).context("measuring the console's weight")?;
        println!(
            "console weight as served (wasm + js + css, Accept-Encoding: br, gzip):\n{}",
            weight.describe()
        );
        let loads = options.loads.to_string();
        e2e_bench(
            "console_load",
            &[
                ("CONSOLE_URL", relay.url.as_ref()),
                ("CHROME", browser.chromium.as_os_str()),
                ("CHROMEDRIVER", browser.chromedriver.as_os_str()),
                ("BENCH_LOADS", loads.as_ref()),
                ("BENCH_OUT", out.as_os_str()),
            ],
        )?;
        weight
    };
    let (rounds, seconds) = (options.rounds.to_string(), options.seconds.to_string());
    let (calls, soak) = (
        options.calls.to_string(),
        options.soak.unwrap_or(0).to_string(),
    );
    e2e_bench(
        "side_by_side",
        &[
            ("RELAY_BIN", relay_bin.as_os_str()),
            ("NGINX", nginx.as_os_str()),
            ("WRK", wrk.as_os_str()),
            ("BENCH_ROUNDS", rounds.as_ref()),
            ("BENCH_SECONDS", seconds.as_ref()),
            ("BENCH_LOAD_CALLS", calls.as_ref()),
            ("BENCH_SOAK_SECONDS", soak.as_ref()),
            ("BENCH_OUT", out.as_os_str()),
        ],
    )?;

    let total = weight.total();
    let mut verdicts = vec![format!(
        "{} console's wasm + js + css for a load of the page <= {} KB on the wire: {:.1} KB \
         (the pages' parts, fetched when a page first opens: {:.1} KB more)",
        if total <= TARGET_BYTES {
            "PASS"
        } else {
            "FAIL"
        },
        TARGET_BYTES / 1000,
        total as f64 / 1000.0,
        weight.later_total() as f64 / 1000.0
    )];
    verdicts.extend(verdicts_of(&out, "console_load")?);
    verdicts.extend(verdicts_of(&out, "side_by_side")?);
    let command = std::iter::once("cargo xtask bench".to_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let sections = bench_report::Sections {
        command,
        verdicts: verdicts.clone(),
        weight: weight.markdown(),
        console_load: std::fs::read_to_string(out.join("console_load.md"))?,
        side_by_side: std::fs::read_to_string(out.join("side_by_side.md"))?,
        tools: vec![(nginx, "-v"), (wrk, "-v"), (browser.chromium, "--version")],
    };
    let doc = root.join("docs/BENCHMARKS.md");
    std::fs::write(&doc, bench_report::render(root, &sections))
        .with_context(|| format!("writing {}", doc.display()))?;

    println!("\nbench: targets of issue 11");
    for verdict in &verdicts {
        println!("  {verdict}");
    }
    let failed = verdicts.iter().filter(|v| v.starts_with("FAIL")).count();
    println!(
        "bench: {} of {} targets met; tables in {}",
        verdicts.len() - failed,
        verdicts.len(),
        doc.display()
    );
    if options.strict && failed > 0 {
        bail!("{failed} target(s) missed (--strict)");
    }
    Ok(())
}
