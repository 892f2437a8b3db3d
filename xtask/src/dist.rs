//! The console as it is served: Trunk's build in a fresh `dist/`, its wasm split into parts,
//! its js minified, and each file's precompressed variants beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process::run;
use crate::workspace::target_dir;
use crate::{precompress, split, tools};

/// Build the console with Trunk into a fresh `dist/` (a failed build must not leave an old one),
/// split its wasm, minify its js, then write each file's precompressed variants beside it.
pub fn build_frontend(root: &Path, tools: &tools::BuildTools) -> Result<PathBuf> {
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).context("removing the old dist/")?;
    }
    run(Command::new(&tools.trunk)
        .args(["build", "--release", "--offline"])
        .env("PATH", &tools.path)
        .env("NO_COLOR", "true")
        .current_dir(root))?;
    if !dist.join("index.html").exists() {
        bail!("trunk reported success but dist/index.html is missing");
    }
    let target = target_dir(root);
    split::split(
        &target.join("wasm32-unknown-unknown/wasm-release/frontend.wasm"),
        &dist,
        &target.join("wasm-split"),
        tools,
    )?;
    minify_js(&dist, &tools.terser)?;
    for file in precompress::precompress(&dist, &tools.brotli)? {
        let size = |n: Option<u64>| n.map_or("-".to_owned(), |n| n.to_string());
        eprintln!(
            "xtask: {}: {} B, brotli {} B, gzip {} B",
            file.file
                .strip_prefix(&dist)
                .unwrap_or(&file.file)
                .display(),
            file.plain,
            size(file.brotli),
            size(file.gzip)
        );
    }
    Ok(dist)
}

/// Minify every ES module in `dist/` in place with terser: Trunk's own minifier cannot parse
/// wasm-bindgen's glue (`WARN Failed to minify JS`) and leaves it whole. Property names are kept
/// (the glue and the wasm find each other's imports by name); only locals are renamed.
fn minify_js(dist: &Path, terser: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dist).with_context(|| format!("listing {}", dist.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            minify_js(&path, terser)?;
        } else if path.extension().is_some_and(|e| e == "js") {
            run(Command::new(terser)
                .arg(&path)
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(&path))?;
        }
    }
    Ok(())
}
