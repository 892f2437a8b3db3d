//! `cargo xtask bench`: performance budgets, asserted.
//!
//! - Bundle size: the console's wasm, gzip -9, must stay under [`WASM_GZIP_BUDGET`].
//! - Relay latency: `cargo bench -p e2e --bench relay_latency` (median added latency budget).
//! - Relay memory: `cargo bench -p e2e --bench relay_memory` (peak RSS of the release relay
//!   process under a bounded burst of calls).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::{build_frontend, cargo, run, tools};

/// The most the console's wasm may weigh, gzip -9 compressed. Measured: 232 KiB with the
/// Tokens, Version and Activity pages; 317 KiB once Nodes and Explorer landed. The console
/// loads once per session, so 384 KiB leaves room for the BIG-IQ and FMC logins; splitting
/// pages out (Leptos `lazy`) is the next lever if it has to shrink.
pub const WASM_GZIP_BUDGET: usize = 384 * 1024;

/// Gzip -9 size of every `.wasm` in `dist`, summed.
pub fn wasm_gzip_size(dist: &Path) -> Result<(usize, usize)> {
    let mut raw = 0;
    let mut gzipped = 0;
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let bytes = std::fs::read(&path)?;
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(&bytes)?;
            raw += bytes.len();
            gzipped += encoder.finish()?.len();
        }
    }
    if raw == 0 {
        bail!("no .wasm in {}", dist.display());
    }
    Ok((raw, gzipped))
}

pub fn run_benches(root: &Path) -> Result<()> {
    let tools = tools::ensure_build_tools(root)?;
    let dist = build_frontend(root, &tools)?;
    let (raw, gzipped) = wasm_gzip_size(&dist).context("measuring the bundle")?;
    println!(
        "bundle: wasm {:.1} KiB raw, {:.1} KiB gzip -9 (budget {:.0} KiB)",
        raw as f64 / 1024.0,
        gzipped as f64 / 1024.0,
        WASM_GZIP_BUDGET as f64 / 1024.0
    );
    if gzipped > WASM_GZIP_BUDGET {
        bail!("the console's wasm is {gzipped} bytes gzipped, over the {WASM_GZIP_BUDGET} budget");
    }
    run(cargo().args(["bench", "-p", "e2e", "--bench", "relay_latency"]))?;
    run(cargo().args(["build", "--release", "-p", "relay", "-p", "simulator"]))?;
    let release = root.join("target/release");
    run(cargo()
        .args(["bench", "-p", "e2e", "--bench", "relay_memory"])
        .env("RELAY_BIN", release.join("relay"))
        .env("DEVSIM_BIN", release.join("devsim")))?;
    println!("bench: all budgets met");
    Ok(())
}
