//! Precompressed variants of the built console, written once at build time: `<file>.br`
//! (brotli at its best quality, 16 MiB window: what every browser decodes) and `<file>.gz`
//! (gzip -9) beside each wasm, js, css and html file in `dist/`. The relay sends the variant the
//! browser accepts (`relay/src/precompressed.rs`) instead of compressing on every request.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::process::describe;

/// The extensions worth compressing (images and fonts already are).
pub const COMPRESSIBLE: [&str; 4] = ["wasm", "js", "css", "html"];

/// One file's sizes after precompression.
pub struct Precompressed {
    pub file: PathBuf,
    pub plain: u64,
    pub brotli: Option<u64>,
    pub gzip: Option<u64>,
}

/// The compressed bytes of `file` from `cmd` (a compressor writing to stdout).
fn compressed(cmd: &mut Command) -> Result<Vec<u8>> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !out.status.success() {
        bail!("{} failed ({})", describe(cmd), out.status);
    }
    Ok(out.stdout)
}

/// Write `bytes` to `file` + `suffix` if they are smaller than the plain file; otherwise make
/// sure no stale variant is left. Returns the variant's size, if written.
fn keep_if_smaller(file: &Path, suffix: &str, bytes: Vec<u8>, plain: u64) -> Result<Option<u64>> {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    let variant = PathBuf::from(name);
    if (bytes.len() as u64) < plain {
        std::fs::write(&variant, &bytes)
            .with_context(|| format!("writing {}", variant.display()))?;
        Ok(Some(bytes.len() as u64))
    } else {
        let _ = std::fs::remove_file(&variant);
        Ok(None)
    }
}

fn compressible_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            compressible_files(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Write the `.br` and `.gz` variants of every compressible file under `dist` with the
/// `brotli` and `gzip` programs (Debian's; C, so seconds rather than a debug build's minutes).
pub fn precompress(dist: &Path, brotli: &Path) -> Result<Vec<Precompressed>> {
    let mut files = Vec::new();
    compressible_files(dist, &mut files)?;
    files.sort();
    let mut done = Vec::new();
    for file in files {
        let plain = std::fs::metadata(&file)?.len();
        let br = compressed(
            Command::new(brotli)
                .args(["--quality=11", "--lgwin=24", "--stdout"])
                .arg(&file),
        )?;
        let gz = compressed(
            Command::new("gzip")
                .args(["-9", "--no-name", "--stdout"])
                .arg(&file),
        )?;
        done.push(Precompressed {
            brotli: keep_if_smaller(&file, ".br", br, plain)?,
            gzip: keep_if_smaller(&file, ".gz", gz, plain)?,
            file,
            plain,
        });
    }
    Ok(done)
}
