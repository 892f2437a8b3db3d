//! Idempotent installation of the tools the build needs, from the package registries only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::process::{cargo, run};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132.0.0";
pub const TERSER_VERSION: &str = "5.51.4";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Where the build tools are, and a PATH that finds them first.
pub struct BuildTools {
    pub trunk: PathBuf,
    pub path: std::ffi::OsString,
    /// The brotli compressor for the precompressed variants.
    pub brotli: PathBuf,
    /// The JS minifier run over Trunk's output.
    pub terser: PathBuf,
    /// The wasm splitter run over cargo's wasm after Trunk.
    pub wasm_split: PathBuf,
}

/// Chromium and its WebDriver.
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("tokendeck")
}

/// `program --version`'s output, if it runs.
fn version_of(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The wasm-bindgen version Cargo.lock holds; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("Cargo.lock does not list wasm-bindgen")
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("running rustup (the Rust toolchain must be installed with rustup)")?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == WASM_TARGET)
    {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The platform rustc builds for by default (`rustc -vV`'s `host`).
pub fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|host| host.trim().to_owned())
        .context("rustc -vV names no host")
}

/// `llvm-profdata` of the toolchain in use (rustup's `llvm-tools` component, the same LLVM as
/// rustc's: a distribution's `llvm-profdata` reads older profile formats only), which merges
/// the relay's training profiles. Added with rustup, from the toolchain's own distribution
/// server, when it is missing.
pub fn ensure_llvm_profdata() -> Result<PathBuf> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let tool = sysroot
        .join("lib/rustlib")
        .join(host_triple()?)
        .join("bin/llvm-profdata");
    if !tool.exists() {
        run(Command::new("rustup").args(["component", "add", "llvm-tools"]))?;
    }
    if !tool.exists() {
        bail!("rustup added llvm-tools but {} is missing", tool.display());
    }
    Ok(tool)
}

/// Whether `binary` is at `version`: it says so (`binary --version`), or, for a tool that prints
/// no version, cargo's own record of what it installed lists `krate` at that version.
fn is_installed(binary: &str, krate: &str, version: &str) -> bool {
    let path = cargo_bin().join(binary);
    if version_of(&path).is_some_and(|v| v == format!("{binary} {version}")) {
        return true;
    }
    let record = cargo_bin()
        .parent()
        .map(|home| home.join(".crates.toml"))
        .and_then(|file| std::fs::read_to_string(file).ok())
        .unwrap_or_default();
    path.exists() && record.contains(&format!("\"{krate} {version} "))
}

fn ensure_cargo_tool(
    binary: &str,
    krate: &str,
    version: &str,
    locked: bool,
    features: &[&str],
) -> Result<PathBuf> {
    let path = cargo_bin().join(binary);
    if is_installed(binary, krate, version) {
        return Ok(path);
    }
    eprintln!("xtask: installing {krate} {version} (once; this takes a few minutes)");
    let mut cmd = cargo();
    cmd.args(["install", krate, "--version", version, "--force"]);
    if locked {
        cmd.arg("--locked");
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    run(&mut cmd)?;
    if !is_installed(binary, krate, version) {
        bail!(
            "{binary} is not at {version} after installing it (reports {:?})",
            version_of(&path)
        );
    }
    Ok(path)
}

/// An npm package's programs (`node_modules/.bin`), installed once into its own prefix under
/// the cache; `program --version` must contain `want`.
fn ensure_npm_tool(package: &str, version: &str, program: &str, want: &str) -> Result<PathBuf> {
    let prefix = cache_dir().join(format!("{package}-{version}"));
    let bin = prefix.join("node_modules/.bin");
    if version_of(&bin.join(program)).is_some_and(|v| v.contains(want)) {
        return Ok(bin);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        apt_install(&["nodejs", "npm"])?;
    }
    std::fs::create_dir_all(&prefix)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("{package}@{version}")))?;
    match version_of(&bin.join(program)) {
        Some(v) if v.contains(want) => Ok(bin),
        other => bail!("{program} from npm {package} reports {other:?}, expected {want}"),
    }
}

/// wasm-opt from npm's binaryen (Debian's v108 builds a wasm that fails at load).
fn ensure_binaryen() -> Result<PathBuf> {
    let major = BINARYEN_VERSION.split('.').next().unwrap_or_default();
    ensure_npm_tool(
        "binaryen",
        BINARYEN_VERSION,
        "wasm-opt",
        &format!("version_{major}"),
    )
}

/// terser, which minifies wasm-bindgen's JS glue (Trunk's own minifier cannot parse it).
fn ensure_terser() -> Result<PathBuf> {
    Ok(ensure_npm_tool("terser", TERSER_VERSION, "terser", TERSER_VERSION)?.join("terser"))
}

/// The wasm target, Trunk, a matching wasm-bindgen CLI, wasm-opt and brotli.
pub fn ensure_build_tools(root: &Path) -> Result<BuildTools> {
    ensure_wasm_target()?;
    if !root.join("Cargo.lock").exists() {
        run(cargo().arg("generate-lockfile"))?;
    }
    let bindgen_version = locked_wasm_bindgen_version(root)?;
    let trunk = ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION, true, &[])?;
    ensure_cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        &bindgen_version,
        false,
        &[],
    )?;
    let binaryen = ensure_binaryen()?;
    let mut paths = vec![binaryen, cargo_bin()];
    if let Some(existing) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    Ok(BuildTools {
        trunk,
        path: std::env::join_paths(paths)?,
        brotli: ensure_brotli()?,
        terser: ensure_terser()?,
        wasm_split: ensure_wasm_split()?,
    })
}

/// `apt-get install` (after an `apt-get update`), as root or through sudo. Waits up to ten
/// minutes for another apt run to finish instead of failing on its lock.
fn apt_install(packages: &[&str]) -> Result<()> {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let apt_get = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(["-o", "DPkg::Lock::Timeout=600"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt_get(&["update"]))?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend_from_slice(packages);
    run(&mut apt_get(&install))
}

/// Where Debian puts `binary`, if it is installed.
fn debian_program(binary: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(binary))
        .find(|p| p.exists())
}

/// The program `binary` from Debian package `package`, installed with apt when missing; it must
/// start with `version_flag` (nginx and wrk print their versions on stderr, wrk exits 1).
fn ensure_apt_program(binary: &str, package: &str, version_flag: &str) -> Result<PathBuf> {
    if debian_program(binary).is_none() {
        apt_install(&[package])?;
    }
    let path = debian_program(binary)
        .with_context(|| format!("apt installed {package} but there is no {binary}"))?;
    Command::new(&path)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("{} does not run", path.display()))?;
    Ok(path)
}

/// nginx, for the side-by-side proxy benchmark (run as the user, from its own config).
pub fn ensure_nginx() -> Result<PathBuf> {
    ensure_apt_program("nginx", "nginx", "-v")
}

/// The wrk HTTP load generator, for the benchmarks.
pub fn ensure_wrk() -> Result<PathBuf> {
    ensure_apt_program("wrk", "wrk", "-v")
}

/// The brotli command-line compressor, for the console's precompressed files.
pub fn ensure_brotli() -> Result<PathBuf> {
    ensure_apt_program("brotli", "brotli", "--version")
}

/// `redis-server`, for the tests that need a Redis (started by the tests themselves on a
/// loopback port; the tests find it through `REDIS_SERVER`).
pub fn ensure_redis() -> Result<PathBuf> {
    ensure_apt_program("redis-server", "redis-server", "--version")
}

/// Debian's Chromium and ChromeDriver (never a browser download).
pub fn ensure_browser() -> Result<Browser> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let chromedriver = PathBuf::from("/usr/bin/chromedriver");
    if !chromium.exists() || !chromedriver.exists() {
        apt_install(&["chromium", "chromium-driver"])?;
    }
    if version_of(&chromedriver).is_none() {
        bail!("{} does not run", chromedriver.display());
    }
    Ok(Browser {
        chromium,
        chromedriver,
    })
}

/// The wasm splitter's version (`wasm_split_cli_support`, the library cargo-leptos splits with,
/// built with its command-line binary).
pub const WASM_SPLIT_VERSION: &str = "0.2.4";

/// `wasm-split-cli`, which cuts the console's wasm along its `wasm_split` functions (it prints
/// no version: cargo's record of what it installed is the check). Built `--locked`, from the
/// lock file the crate ships, so every machine builds the same splitter.
pub fn ensure_wasm_split() -> Result<PathBuf> {
    ensure_cargo_tool(
        "wasm-split-cli",
        "wasm_split_cli_support",
        WASM_SPLIT_VERSION,
        true,
        &["build-binary"],
    )
}
