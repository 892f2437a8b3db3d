//! The relay as it ships (`cargo xtask demo`, `cargo xtask bench`, `cargo xtask relay` for the
//! container image): a release build optimised with a profile of the relay's own work
//! (profile-guided optimisation, the way rustc and the browsers build themselves).
//!
//! 1. An instrumented release build (`-Cprofile-generate`) in `target/pgo/generate`.
//! 2. A training run: that relay with its simulated devices (`--demo`) serving the console,
//!    driven by [`exercise`] — sign-ins, version reads, node and token management on the demo's
//!    devices, one call at a time and many at once — then interrupted, so it writes its
//!    profile. The profile is merged with the toolchain's own `llvm-profdata` (rustup's
//!    `llvm-tools` component: the same LLVM as rustc's).
//! 3. The release build that ships (`-Cprofile-use`) in `target/pgo/use`.
//!
//! Training runs again only when the instrumented binary or this program changed (rustc tracks
//! the profile file, so a new profile rebuilds every crate).
//!
//! Measured side by side with the plain release build (interleaved rounds, one simulated
//! device, wrk, CPU from `/proc`): user CPU per forwarded call about a third less at
//! concurrency 1 and a quarter less at 64.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::content_hash::content_hash;
use crate::process::{cargo, run};
use crate::running_relay::RunningRelay;
use crate::tools;
use crate::workspace::target_dir;

/// Version reads of the training run: one client this many, then [`CLIENTS`] clients as many
/// in all. Most of what a relay does in use is forwarding such calls, so most of the training
/// is that; sign-ins, management calls and the console's files are a few percent of it.
const TRAINING_CALLS: usize = 20_000;
/// Clients at once in the second half of the training run (each a keep-alive connection).
const CLIENTS: usize = 8;

/// Build the shipped relay, with `cargo_args` (features, `--locked`) for the final build;
/// returns the binary's path. `dist` is the built console, served during training.
pub fn build_relay(root: &Path, dist: &Path, cargo_args: &[String]) -> Result<PathBuf> {
    let profdata_tool = tools::ensure_llvm_profdata()?;
    let host = tools::host_triple()?;
    let pgo = target_dir(root).join("pgo");
    let raw = pgo.join("raw");
    let profile = pgo.join("relay.profdata");
    let trained_on = pgo.join("relay.profdata.source");

    // The default features (training needs the simulated devices, `--demo`), with the
    // options that say how to treat the lock file and the network.
    let lock_options: Vec<String> = cargo_args
        .iter()
        .filter(|a| ["--locked", "--offline", "--frozen"].contains(&a.as_str()))
        .cloned()
        .collect();
    build(
        &pgo.join("generate"),
        &host,
        "-Cprofile-generate",
        &raw,
        &lock_options,
    )?;
    let instrumented = pgo.join("generate").join(&host).join("release/relay");
    let source = format!(
        "relay {}\nxtask {}\n",
        binary_identity(&instrumented)?,
        binary_identity(&std::env::current_exe()?)?
    );
    if !profile.exists() || std::fs::read_to_string(&trained_on).ok().as_deref() != Some(&source) {
        if raw.exists() {
            std::fs::remove_dir_all(&raw).context("removing the last training's raw profiles")?;
        }
        std::fs::create_dir_all(&raw)?;
        let relay = RunningRelay::start(&instrumented, dist)?;
        let started = Instant::now();
        let calls = exercise(&relay.url, TRAINING_CALLS).context("the relay's training run")?;
        relay.stop()?;
        eprintln!(
            "xtask: trained the relay on {calls} calls in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let merged = pgo.join("relay.profdata.new");
        run(Command::new(&profdata_tool)
            .args(["merge", "-o"])
            .arg(&merged)
            .arg(&raw))?;
        std::fs::rename(&merged, &profile)?;
        std::fs::write(&trained_on, &source)?;
    }
    build(
        &pgo.join("use"),
        &host,
        "-Cprofile-use",
        &profile,
        cargo_args,
    )?;
    Ok(pgo.join("use").join(&host).join("release/relay"))
}

/// `cargo build --release -p relay` for `host` into `target`, with `flag=path` added to
/// `RUSTFLAGS`. Naming the target keeps the flag off build scripts and proc macros.
fn build(target: &Path, host: &str, flag: &str, path: &Path, cargo_args: &[String]) -> Result<()> {
    let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !rustflags.is_empty() {
        rustflags.push(' ');
    }
    rustflags.push_str(&format!("{flag}={}", path.display()));
    run(cargo()
        .args(["build", "--release", "-p", "relay", "--target", host])
        .args(cargo_args)
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTFLAGS", rustflags))
}

/// Which build of a binary this is: its size and a hash of its bytes, so a rebuild that made
/// the same binary (sources touched, not changed) does not call for new training.
fn binary_identity(binary: &Path) -> Result<String> {
    let bytes = std::fs::read(binary).with_context(|| format!("reading {}", binary.display()))?;
    Ok(format!("{} {}", bytes.len(), content_hash(&bytes)))
}

/// Drive the relay at `base_url` (started with `--demo`) as the console and its users do:
/// `calls` version reads by one client with sign-in, node and token management around them on
/// the demo's devices, then the same by [`CLIENTS`] clients at once. Every call must get
/// the answer the simulated device gives; returns how many calls were made.
///
/// `cargo xtask test` runs it (briefly) against the debug relay, so the training run keeps
/// working as the relay and the simulator change.
pub fn exercise(base_url: &str, calls: usize) -> Result<usize> {
    let base = base_url.trim_end_matches('/').to_owned();
    let mut made = Client::new(&base, 0).session(calls)?;
    let clients: Vec<_> = (1..=CLIENTS)
        .map(|n| {
            let base = base.clone();
            std::thread::spawn(move || Client::new(&base, n).session(calls / CLIENTS))
        })
        .collect();
    for client in clients {
        made += client
            .join()
            .map_err(|_| anyhow::anyhow!("a training client panicked"))??;
    }
    Ok(made)
}

/// One client of the training run: a keep-alive connection to the relay.
struct Client {
    agent: ureq::Agent,
    base: String,
    /// Tells this client's nodes apart from the others'.
    number: usize,
    calls: usize,
}

/// The demo's administrator (the simulated devices' `admin`, exempt from the token limit).
const USER: &str = "admin";
const PASSWORD: &str = "admin";
/// `admin:admin` for HTTP Basic (FMC's sign-in).
const BASIC: &str = "Basic YWRtaW46YWRtaW4=";

impl Client {
    fn new(base: &str, number: usize) -> Self {
        Self {
            agent: crate::served_weight::agent(),
            base: base.to_owned(),
            number,
            calls: 0,
        }
    }

    /// The console's files, then the demo's devices: `reads` version reads on the BIG-IP with
    /// the rest of a session's calls spread among them, fewer on the BIG-IQ, a few on the FMC
    /// (first client only); returns the calls made.
    ///
    /// A fixed mix, not a list of every kind: what is trained is the relay, which names no
    /// kind — forwarding, token calls under a device's budget, a rate-limited device, replies
    /// passed through whole (401, 204) — weighted as use weighs it, and the shipped binary is
    /// optimised for exactly this mix (`docs/BENCHMARKS.md`). A new kind needs no change here.
    /// The recipes are written out rather than taken from `shared`'s profiles, so xtask builds
    /// without the product's crates and a change to a profile cannot silently reshape training.
    fn session(mut self, reads: usize) -> Result<usize> {
        self.console()?;
        self.bigip(reads)?;
        self.bigiq(reads)?;
        // FMC allows 120 calls a minute per user, and a user's new sign-in ends their other
        // sessions: a few calls, by the first client only.
        if self.number == 0 {
            self.fmc()?;
        }
        Ok(self.calls)
    }

    /// The console's own files and the relay's inventory, as a browser loads them.
    fn console(&mut self) -> Result<()> {
        let page = self.call("GET", "/", &[("accept-encoding", "br, gzip")], None, 200)?;
        for asset in crate::served_weight::page_assets(&page) {
            self.call("GET", &asset, &[("accept-encoding", "br, gzip")], None, 200)?;
        }
        self.call("GET", "/api/devices", &[], None, 200)?;
        Ok(())
    }

    /// A wrong password, a sign-in, `reads` version reads with node and token management among
    /// them, sign-out.
    fn bigip(&mut self, reads: usize) -> Result<()> {
        let login = format!(
            r#"{{"username":"{USER}","password":"{PASSWORD}","loginProviderName":"tmos"}}"#
        );
        // A wrong password: the device's 401, passed through.
        let wrong = login.replace(PASSWORD, "wrong-password");
        self.call("POST", BIGIP_LOGIN, &json(), Some(&wrong), 401)?;

        let bigip = self.call("POST", BIGIP_LOGIN, &json(), Some(&login), 200)?;
        let bigip = token_in(&bigip).context("the BIG-IP's sign-in reply has no token")?;
        let node = format!("pgo-{}", self.number);
        for read in 0..reads {
            self.call(
                "GET",
                &format!("{BIGIP}/mgmt/tm/sys/version"),
                &f5(&bigip),
                None,
                200,
            )?;
            if read % 50 == 0 {
                self.call(
                    "GET",
                    &format!("{BIGIP}/mgmt/tm/ltm/node"),
                    &f5(&bigip),
                    None,
                    200,
                )?;
                self.call(
                    "GET",
                    &format!("{BIGIP}/mgmt/shared/authz/tokens"),
                    &f5(&bigip),
                    None,
                    200,
                )?;
            }
            if read % 500 == 0 {
                let body = format!(
                    r#"{{"name":"{node}","address":"10.9.{}.{}"}}"#,
                    self.number,
                    read % 250
                );
                self.call(
                    "POST",
                    &format!("{BIGIP}/mgmt/tm/ltm/node"),
                    &with_json(&f5(&bigip)),
                    Some(&body),
                    200,
                )?;
                let one = format!("{BIGIP}/mgmt/tm/ltm/node/~Common~{node}");
                self.call(
                    "PATCH",
                    &one,
                    &with_json(&f5(&bigip)),
                    Some(r#"{"session":"user-disabled"}"#),
                    200,
                )?;
                self.call("DELETE", &one, &f5(&bigip), None, 200)?;
                let token = format!("{BIGIP}/mgmt/shared/authz/tokens/{bigip}");
                self.call(
                    "PATCH",
                    &token,
                    &with_json(&f5(&bigip)),
                    Some(r#"{"timeout":3600}"#),
                    200,
                )?;
            }
        }
        self.call(
            "DELETE",
            &format!("{BIGIP}/mgmt/shared/authz/tokens/{bigip}"),
            &f5(&bigip),
            None,
            200,
        )?;
        Ok(())
    }

    /// A sign-in and device-info reads, one per hundred BIG-IP reads.
    fn bigiq(&mut self, reads: usize) -> Result<()> {
        let bigiq_login = format!(r#"{{"username":"{USER}","password":"{PASSWORD}"}}"#);
        let bigiq = self.call(
            "POST",
            &format!("{BIGIQ}/mgmt/shared/authn/login"),
            &json(),
            Some(&bigiq_login),
            200,
        )?;
        let bigiq = token_in(&bigiq).context("the BIG-IQ's sign-in reply has no token")?;
        for _ in 0..(reads / 100).max(1) {
            self.call(
                "GET",
                &format!("{BIGIQ}/mgmt/shared/identified-devices/config/device-info"),
                &f5(&bigiq),
                None,
                200,
            )?;
        }
        Ok(())
    }

    /// A sign-in, three server-version reads, sign-out.
    fn fmc(&mut self) -> Result<()> {
        let generate = format!("{FMC}/api/fmc_platform/v1/auth/generatetoken");
        let (status, headers, _) =
            self.send("POST", &generate, &[("authorization", BASIC)], None)?;
        ensure!(status == 204, "POST {generate} answered {status}, not 204");
        let access = headers
            .get("x-auth-access-token")
            .and_then(|v| v.to_str().ok())
            .context("FMC's sign-in reply has no X-auth-access-token")?
            .to_owned();
        let fmc = [("x-auth-access-token", access.as_str())];
        for _ in 0..3 {
            self.call(
                "GET",
                &format!("{FMC}/api/fmc_platform/v1/info/serverversion"),
                &fmc,
                None,
                200,
            )?;
        }
        self.call(
            "POST",
            &format!("{FMC}/api/fmc_platform/v1/auth/revokeaccess"),
            &fmc,
            None,
            204,
        )?;
        Ok(())
    }

    /// One call that must answer `expected`; returns the body.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        expected: u16,
    ) -> Result<String> {
        let (status, _, text) = self.send(method, path, headers, body)?;
        if status != expected {
            bail!("{method} {path} answered {status}, not {expected}: {text}");
        }
        Ok(text)
    }

    /// One call: its status, headers and body.
    fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<(u16, ureq::http::HeaderMap, String)> {
        let url = format!("{}{path}", self.base);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.unwrap_or("").to_owned())?;
        let mut response = self
            .agent
            .run(request)
            .with_context(|| format!("{method} {path}"))?;
        self.calls += 1;
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .with_context(|| format!("reading the reply to {method} {path}"))?;
        let status = response.status().as_u16();
        Ok((
            status,
            response.headers().clone(),
            String::from_utf8_lossy(&text).into_owned(),
        ))
    }
}

/// The demo's devices (`relay --demo` names each `<kind>-sim`), through the relay's forward.
const BIGIP: &str = "/api/devices/bigip-sim/fwd";
const BIGIP_LOGIN: &str = "/api/devices/bigip-sim/fwd/mgmt/shared/authn/login";
const BIGIQ: &str = "/api/devices/bigiq-sim/fwd";
const FMC: &str = "/api/devices/fmc-sim/fwd";

fn json() -> [(&'static str, &'static str); 1] {
    [("content-type", "application/json")]
}

/// A BIG-IP's or BIG-IQ's token header.
fn f5(token: &str) -> [(&str, &str); 1] {
    [("x-f5-auth-token", token)]
}

fn with_json<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = headers.to_vec();
    all.push(("content-type", "application/json"));
    all
}

/// The token in a BIG-IP or BIG-IQ sign-in reply: `"token":{…"token":"<T>"`.
fn token_in(reply: &str) -> Option<String> {
    let object = &reply[reply.find("\"token\":{")? + "\"token\":{".len()..];
    let at = object.find("\"token\":\"")? + "\"token\":\"".len();
    let len = object[at..].find('"')?;
    Some(object[at..at + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_access_token_not_the_refresh_token() {
        let bigiq = r#"{"username":"admin","refreshToken":{"token":"eyJr"},"token":{"token":"eyJa","timeout":300}}"#;
        assert_eq!(token_in(bigiq).as_deref(), Some("eyJa"));
        let bigip = r#"{"username":"admin","token":{"token":"DCECRMQ66WOSPTSGPR7OAGG5SI","name":"DCECRMQ66WOSPTSGPR7OAGG5SI"}}"#;
        assert_eq!(
            token_in(bigip).as_deref(),
            Some("DCECRMQ66WOSPTSGPR7OAGG5SI")
        );
        assert_eq!(
            token_in(r#"{"code":401,"message":"Authentication failed."}"#),
            None
        );
    }
}
