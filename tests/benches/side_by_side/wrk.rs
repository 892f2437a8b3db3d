//! wrk, the load generator: a C event loop that costs little CPU per call (this machine has two
//! cores for the client, the proxy and the device together), speaks HTTPS for the direct path,
//! and records every call's latency in a histogram. A Lua `done` hook prints the numbers — the
//! whole histogram among them, so rounds can be merged — as one JSON line, so nothing is scraped
//! from its human-readable output.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use e2e::latency::Latencies;

/// Appended to every script: one `WRK-RESULT {json}` line when the run ends (latencies in µs;
/// `histogram`: `[latency, calls]` for each latency seen, `latency(i)` in wrk's Lua API).
const REPORT_HOOK: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  local seen = {}
  for i = 1, #latency do
    local micros, calls = latency(i)
    seen[#seen + 1] = string.format("[%.0f,%.0f]", micros, calls)
  end
  io.write(string.format(
    "\nWRK-RESULT {\"requests\":%.0f,\"duration_us\":%.0f,\"socket_errors\":%.0f,\"http_errors\":%.0f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"histogram\":[%s]}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), table.concat(seen, ",")))
end
"#;

/// What one wrk run measured.
#[derive(Clone, Debug)]
pub struct Measured {
    pub requests: u64,
    pub seconds: f64,
    /// Connect, read, write and timeout errors plus answers with status ≥ 400.
    pub errors: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    /// Every call's latency (wrk's histogram), to merge with other runs'.
    pub latencies: Latencies,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

pub struct Wrk {
    pub bin: PathBuf,
}

/// A token as a Lua string literal (tokens are URL-safe; anything else is refused).
fn lua_token(token: &str) -> anyhow::Result<String> {
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        bail!("unexpected characters in the device token");
    }
    Ok(format!("\"{token}\""))
}

/// A script for the authenticated `GET` every run makes.
pub fn get_script(dir: &Path, token: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join("get.lua");
    let script = format!(
        "wrk.headers[\"X-F5-Auth-Token\"] = {}\n{REPORT_HOOK}",
        lua_token(token)?
    );
    std::fs::write(&path, script)?;
    Ok(path)
}

/// A script that `PATCH`es a node's description: a JSON body of exactly `bytes` goes up, and
/// the node (with the description) comes back.
pub fn upload_script(dir: &Path, token: &str, bytes: usize) -> anyhow::Result<PathBuf> {
    let path = dir.join("upload.lua");
    let text = bytes
        .checked_sub(r#"{"description":""}"#.len())
        .context("the upload body is too small for its JSON")?;
    let script = format!(
        "wrk.method = \"PATCH\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"X-F5-Auth-Token\"] = {}\n\
         wrk.body = '{{\"description\":\"' .. string.rep(\"x\", {text}) .. '\"}}'\n\
         {REPORT_HOOK}",
        lua_token(token)?
    );
    std::fs::write(&path, script)?;
    Ok(path)
}

impl Wrk {
    /// `connections` keep-alive connections (at most two threads: the machine's cores) calling
    /// `url` for `seconds`.
    pub fn run(
        &self,
        script: &Path,
        url: &str,
        connections: u32,
        seconds: u32,
    ) -> anyhow::Result<Measured> {
        let threads = connections.min(2);
        let mut cmd = Command::new(&self.bin);
        cmd.args(["-t", &threads.to_string(), "-c", &connections.to_string()])
            .args(["-d", &format!("{seconds}s"), "--timeout", "10s", "-s"])
            .arg(script)
            .arg(url);
        let out = cmd.output().context("starting wrk")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let Some(json) = stdout.lines().find_map(|l| l.strip_prefix("WRK-RESULT ")) else {
            bail!(
                "wrk {url} printed no result ({}):\n{stdout}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let v: serde_json::Value = serde_json::from_str(json).context("wrk's result line")?;
        let num = |k: &str| {
            v[k].as_f64()
                .with_context(|| format!("no {k} in wrk's result {json}"))
        };
        let requests = num("requests")? as u64;
        if requests == 0 {
            bail!("wrk made no call to {url}:\n{stdout}");
        }
        let latencies = histogram(&v).context("wrk's histogram")?;
        let measured = Measured {
            requests,
            seconds: num("duration_us")? / 1e6,
            errors: (num("socket_errors")? + num("http_errors")?) as u64,
            p50_us: num("p50")?,
            p90_us: num("p90")?,
            p99_us: num("p99")?,
            latencies,
        };
        // The histogram read back must give wrk's own numbers, or the merged ones mean nothing.
        // (Where p / 100 × calls is a whole number, float rounding may put wrk's rank one either
        // side of ours: both are accepted.)
        for (p, wrk_says) in [
            (50.0, measured.p50_us),
            (90.0, measured.p90_us),
            (99.0, measured.p99_us),
        ] {
            let at = |p: f64| {
                measured
                    .latencies
                    .percentile(p)
                    .map_or(f64::NAN, |us| us as f64)
            };
            if !(at(p - 1e-6) <= wrk_says && wrk_says <= at(p + 1e-6)) {
                bail!(
                    "wrk's p{p} is {wrk_says} µs, its histogram gives {} µs",
                    at(p)
                );
            }
        }
        Ok(measured)
    }
}

/// `[[latency, calls], …]` from a result line.
fn histogram(v: &serde_json::Value) -> anyhow::Result<Latencies> {
    v["histogram"]
        .as_array()
        .context("no histogram")?
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([micros, calls]) => Ok((
                micros
                    .as_u64()
                    .context("a latency that is not a whole number")?,
                calls
                    .as_u64()
                    .context("a count that is not a whole number")?,
            )),
            _ => bail!("not a [latency, calls] pair: {pair}"),
        })
        .collect()
}
