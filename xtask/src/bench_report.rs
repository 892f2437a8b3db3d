//! `docs/BENCHMARKS.md`, written by every `cargo xtask bench` run so it never goes stale: the
//! date, the machine, the exact command, the targets' verdicts and each bench's tables.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the benches measured, as Markdown pieces.
pub struct Sections {
    pub command: String,
    pub verdicts: Vec<String>,
    pub weight: String,
    pub console_load: String,
    pub side_by_side: String,
    /// Programs whose versions belong in the report, with the flag that prints it.
    pub tools: Vec<(PathBuf, &'static str)>,
}

/// The first non-empty line `program args` prints (on stdout or stderr), if it runs.
fn first_line(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    [out.stdout, out.stderr]
        .iter()
        .flat_map(|s| {
            String::from_utf8_lossy(s)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|l| l.trim().to_owned())
        .find(|l| !l.is_empty())
}

fn proc_field(file: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(file).ok()?.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

fn os_name() -> Option<String> {
    std::fs::read_to_string("/etc/os-release")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
}

/// One line per fact about the machine and the build.
fn machine(root: &Path, tools: &[(PathBuf, &str)]) -> Vec<String> {
    let unknown = || "unknown".to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(unknown, |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0));
    let mut facts = vec![
        format!(
            "CPU: {} ({cores} cores available)",
            proc_field("/proc/cpuinfo", "model name").unwrap_or_else(unknown)
        ),
        format!("memory: {memory_gib}"),
        format!(
            "system: {}, Linux {}",
            os_name().unwrap_or_else(unknown),
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| unknown())
        ),
        format!(
            "toolchain: {}",
            first_line(Path::new("rustc"), &["--version"]).unwrap_or_else(unknown)
        ),
    ];
    for (tool, flag) in tools {
        let version = first_line(tool, &[flag]).unwrap_or_else(unknown);
        facts.push(format!("`{}`: {version}", tool.display()));
    }
    let commit = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(unknown);
    facts.push(format!("source: commit {commit}"));
    facts
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "unknown date".to_owned())
}

pub fn render(root: &Path, s: &Sections) -> String {
    let mut md = String::from(
        "# Benchmarks\n\n\
         Written by `cargo xtask bench` on every run; do not edit by hand. The targets are issue \
         11's; a benchmark reports them (add `--strict` to fail on a missed one).\n\n",
    );
    md.push_str(&format!("Run on {} with `{}`.\n\n", now_utc(), s.command));
    for fact in machine(root, &s.tools) {
        md.push_str(&format!("- {fact}\n"));
    }
    md.push_str("\n## Targets\n\n");
    for verdict in &s.verdicts {
        let (word, what) = verdict.split_once(' ').unwrap_or((verdict, ""));
        md.push_str(&format!("- **{word}** {what}\n"));
    }
    md.push_str(
        "\n## The console's weight, as served\n\n\
         The wasm, js and css a load of the page downloads (its js modules' own imports, such as \
         the split loader, included), fetched from the shipped relay with \
         `Accept-Encoding: br, gzip`; body bytes on the wire (headers left out). The pages' code \
         is in parts of the wasm fetched the first time one of their pages opens, listed apart \
         and budgeted apart by `cargo xtask test`. The build writes \
         the `.br` (brotli, quality 11) and `.gz` (gzip -9) variants once; the relay picks one \
         per request. `cargo xtask test` asserts its own budget on the same number \
         (`xtask/src/served_weight.rs`).\n\n",
    );
    md.push_str(&s.weight);
    md.push_str(
        "\n## Time to a usable login form\n\n\
         Headless Chromium, a fresh browser and profile per load (nothing cached, no compiled \
         wasm kept), the shipped relay on loopback serving the build above with its simulated \
         devices (`--demo`). Measured in the page: `performance.now()` when `#username` exists \
         and is enabled, from navigation start; the bench waits for it in one asynchronous \
         script rather than polling the page (`tests/benches/console_load.rs`). **Judged**: \
         loads made once Chromium has finished starting — on `about:blank` until its processes \
         use under 5 % of a core, read from `/proc` — as a user's cold load happens in a browser \
         that is already running. **Not judged**, alternating with them: the same loads made \
         right after launch, as this bench measured before; a just-launched Chromium loads its \
         own built-in pages (hundreds of modules) and spends the better part of a second of CPU \
         on the same two cores as the page.\n\n",
    );
    md.push_str(&s.console_load);
    md.push_str(
        "\n## Relay vs nginx, side by side\n\n\
         One simulated BIG-IP (HTTPS, in the bench process), one client (wrk: at most two \
         threads, keep-alive connections, plain HTTP to the proxies and HTTPS to the device), \
         the call an authenticated `GET /mgmt/tm/sys/version` (one login for the token). Paths: \
         **direct** to the device; **relay**, the binary as it ships (release, whole-program \
         LTO, profile-guided: trained by `xtask/src/pgo.rs` on sign-ins, reads and node and \
         token management on the demo's simulated devices, this call among them) with the device pinned by \
         certificate fingerprint, logging as shipped (`info`: start-up, shutdown and relay \
         errors, nothing per successful call, which `/metrics` counts; stdout to a pipe the \
         bench drains); **nginx** with `proxy_pass https://` to an upstream block with `keepalive \
         64`, HTTP/1.1 and the `Connection` header cleared, `proxy_ssl_verify on` against \
         exactly the device's certificate (`proxy_ssl_trusted_certificate`, name `localhost`, \
         SNI on, session reuse on), no request limit per connection on either side, one worker \
         per core, access log to a drained pipe; **nginx (2nd)**, a second nginx with exactly that \
         configuration, run like the others as a control: what separates two identical proxies \
         in one run is the noise the comparisons sit in. Pools are warmed for 2 s per path first. Upstream \
         reuse is 1 − new connections to the device / calls, the connections counted by the \
         simulated device as it accepts them, the same way for every path \
         (`tests/benches/side_by_side/`).\n\n",
    );
    md.push_str(&s.side_by_side);
    md
}
