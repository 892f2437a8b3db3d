//! Percentiles over every call of the interleaved rounds, medians of their rates, the proxies'
//! added latency, the Markdown tables and the PASS/FAIL lines for the targets of issue 11.

use std::fmt::Write;

use e2e::latency::Latencies;
use e2e::median;

use crate::wrk::Measured;

/// How a call reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    Relay,
    Nginx,
    /// A second nginx configured as the first: the control. How far two identical proxies land
    /// apart in the same run is the noise every comparison here sits in.
    NginxAgain,
}

impl Route {
    pub const ALL: [Route; 4] = [Route::Direct, Route::Relay, Route::Nginx, Route::NginxAgain];

    pub fn label(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::Relay => "relay",
            Route::Nginx => "nginx",
            Route::NginxAgain => "nginx (2nd)",
        }
    }
}

/// One wrk run.
pub struct Sample {
    pub route: Route,
    pub concurrency: u32,
    pub measured: Measured,
    /// New TCP connections to the device during the run, as the device counted them.
    pub new_connections: u64,
    /// The relay's own count of new TLS connections during the run (relay runs only).
    pub relay_handshakes: Option<u64>,
    /// The proxy's CPU time (user + system, every process of it) per call (proxy runs only).
    pub cpu_us_per_call: Option<f64>,
}

/// The relay's resident memory at each stage, in KiB.
pub struct Memory {
    pub idle: u64,
    pub after_calls: u64,
    pub upload_concurrency: u32,
    pub upload_bytes: usize,
    pub upload: Measured,
    pub peak: u64,
    pub after_upload: u64,
}

pub struct Report {
    pub rounds: u32,
    pub seconds: u32,
    pub concurrency: Vec<u32>,
    pub samples: Vec<Sample>,
    pub memory: Memory,
}

/// A target's outcome: `PASS what` or `FAIL what`.
pub struct Verdict {
    pub pass: bool,
    pub what: String,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = if self.pass { "PASS" } else { "FAIL" };
        write!(f, "{word} {}", self.what)
    }
}

/// Decimal megabytes, as the targets are written.
pub fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One route at one concurrency: latency percentiles over the calls of every round, medians
/// of the rounds' rates.
struct Cell {
    p50: f64,
    p90: f64,
    p99: f64,
    /// The lowest and highest of the rounds' own p99s.
    p99_rounds: (f64, f64),
    per_second: f64,
    requests: u64,
    errors: u64,
    new_connections: u64,
    relay_handshakes: Option<u64>,
    cpu_us_per_call: Option<f64>,
}

impl Report {
    fn runs(&self, route: Route, concurrency: u32) -> impl Iterator<Item = &Sample> {
        self.samples
            .iter()
            .filter(move |s| s.route == route && s.concurrency == concurrency)
    }

    /// Every call of every round of `route` at `concurrency`.
    fn latencies(&self, route: Route, concurrency: u32) -> Latencies {
        let mut all = Latencies::default();
        for run in self.runs(route, concurrency) {
            all.merge(&run.measured.latencies);
        }
        all
    }

    fn cell(&self, route: Route, concurrency: u32) -> Cell {
        let all = self.latencies(route, concurrency);
        let at = |p: f64| all.percentile(p).map_or(f64::NAN, |us| us as f64);
        let round_p99s: Vec<f64> = self
            .runs(route, concurrency)
            .map(|s| s.measured.p99_us)
            .collect();
        let of = |f: fn(&Measured) -> f64| {
            median(
                self.runs(route, concurrency)
                    .map(|s| f(&s.measured))
                    .collect(),
            )
        };
        let handshakes: Vec<u64> = self
            .runs(route, concurrency)
            .filter_map(|s| s.relay_handshakes)
            .collect();
        let cpu: Vec<f64> = self
            .runs(route, concurrency)
            .filter_map(|s| s.cpu_us_per_call)
            .collect();
        Cell {
            cpu_us_per_call: (!cpu.is_empty()).then(|| median(cpu)),
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            p99_rounds: (
                round_p99s.iter().copied().fold(f64::INFINITY, f64::min),
                round_p99s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            per_second: of(Measured::per_second),
            requests: self
                .runs(route, concurrency)
                .map(|s| s.measured.requests)
                .sum(),
            errors: self
                .runs(route, concurrency)
                .map(|s| s.measured.errors)
                .sum(),
            new_connections: self
                .runs(route, concurrency)
                .map(|s| s.new_connections)
                .sum(),
            relay_handshakes: (!handshakes.is_empty()).then(|| handshakes.iter().sum()),
        }
    }

    /// The latency a proxy adds at percentile `p`: its `p` over every call of the rounds less
    /// the direct path's.
    fn added(&self, route: Route, concurrency: u32, p: f64) -> f64 {
        let at = |r: Route| {
            self.latencies(r, concurrency)
                .percentile(p)
                .map_or(f64::NAN, |us| us as f64)
        };
        at(route) - at(Route::Direct)
    }

    /// Share of calls at `concurrency` that went over an upstream connection already open.
    fn reuse(&self, route: Route, concurrency: u32) -> f64 {
        let cell = self.cell(route, concurrency);
        1.0 - cell.new_connections as f64 / cell.requests as f64
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for &c in &self.concurrency {
            for (name, p) in [("p50", 50.0), ("p99", 99.0)] {
                let (relay, nginx) = (
                    self.added(Route::Relay, c, p),
                    self.added(Route::Nginx, c, p),
                );
                let control = self.added(Route::NginxAgain, c, p);
                out.push(Verdict {
                    pass: relay <= nginx,
                    what: format!(
                        "relay's added {name} no worse than nginx's at concurrency {c}: {relay:.0} µs vs {nginx:.0} µs (an identical second nginx: {control:.0} µs)"
                    ),
                });
            }
        }
        let top = self.concurrency.iter().copied().max().unwrap_or(64);
        let (relay, nginx) = (
            self.cell(Route::Relay, top).per_second,
            self.cell(Route::Nginx, top).per_second,
        );
        out.push(Verdict {
            pass: relay >= nginx,
            what: format!(
                "relay throughput at concurrency {top} no worse than nginx's: {} vs {} calls/s ({:.2}x)",
                thousands(relay),
                thousands(nginx),
                relay / nginx
            ),
        });
        let reuse = self
            .concurrency
            .iter()
            .map(|&c| self.reuse(Route::Relay, c))
            .fold(f64::INFINITY, f64::min);
        out.push(Verdict {
            pass: reuse >= 0.99,
            what: format!(
                "relay reuses an open upstream connection for >= 99 % of calls at every concurrency: lowest {:.2} %",
                reuse * 100.0
            ),
        });
        let m = &self.memory;
        out.push(Verdict {
            pass: mb(m.idle) <= 20.0,
            what: format!("relay RSS idle <= 20 MB: {:.1} MB", mb(m.idle)),
        });
        out.push(Verdict {
            pass: mb(m.peak) <= 60.0,
            what: format!(
                "relay RSS <= 60 MB with {} concurrent {} KiB bodies: peak {:.1} MB",
                m.upload_concurrency,
                m.upload_bytes / 1024,
                mb(m.peak)
            ),
        });
        let errors: u64 =
            self.samples.iter().map(|s| s.measured.errors).sum::<u64>() + m.upload.errors;
        out.push(Verdict {
            pass: errors == 0,
            what: format!("every call answered (status < 400, no socket error): {errors} failed"),
        });
        out
    }

    /// The tables, in Markdown.
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "{} interleaved rounds, {} s of wrk per path and concurrency; the paths' order \
             changes each round so that over every four rounds each path runs once in each place \
             and once right after each other path (a Williams square, `e2e::order`): no path \
             always follows the same one, whatever a run leaves behind. Latencies in µs, over \
             every call of the rounds (wrk's histograms merged), so a round's luck moves them \
             less than it moves its own percentiles: the lowest and highest of the rounds' own \
             p99s are shown beside them. *Added* is the proxy's percentile minus the direct \
             path's; calls/s and *CPU per call* (the proxy's CPU time, user + system, all its \
             processes, from `/proc`, over the calls of a run) are medians of the rounds.\n",
            self.rounds, self.seconds
        );
        md.push_str(
            "| concurrency | path | p50 | p90 | p99 | rounds' p99 | calls/s | added p50 | added p99 | CPU per call | new upstream connections | errors |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for &c in &self.concurrency {
            for route in Route::ALL {
                let cell = self.cell(route, c);
                let (added50, added99) = match route {
                    Route::Direct => ("—".to_owned(), "—".to_owned()),
                    _ => (
                        format!("{:+.0}", self.added(route, c, 50.0)),
                        format!("{:+.0}", self.added(route, c, 99.0)),
                    ),
                };
                let _ = writeln!(
                    md,
                    "| {c} | {} | {:.0} | {:.0} | {:.0} | {:.0}–{:.0} | {} | {added50} | {added99} | {} | {} in {} calls | {} |",
                    route.label(),
                    cell.p50,
                    cell.p90,
                    cell.p99,
                    cell.p99_rounds.0,
                    cell.p99_rounds.1,
                    thousands(cell.per_second),
                    cell.cpu_us_per_call
                        .map_or_else(|| "—".to_owned(), |us| format!("{us:.1} µs")),
                    cell.new_connections,
                    thousands(cell.requests as f64),
                    cell.errors
                );
            }
        }
        md.push_str(
            "\n**Relay against nginx** (ratios relay / nginx; added latency above 1 and throughput below 1 are worse; \
             — where a proxy adds zero or less, the direct path's own percentile being as high: no \
             ratio means anything there, the noise floor below gives the difference):\n\n\
             | concurrency | added p50 | added p99 | calls/s | upstream reuse, relay | upstream reuse, nginx | relay's own handshake counter |\n\
             |---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for &c in &self.concurrency {
            let ratio = |p: f64| {
                let (relay, nginx) = (
                    self.added(Route::Relay, c, p),
                    self.added(Route::Nginx, c, p),
                );
                if relay > 0.0 && nginx > 0.0 {
                    format!("{:.2}x", relay / nginx)
                } else {
                    "—".to_owned()
                }
            };
            let relay = self.cell(Route::Relay, c);
            let _ = writeln!(
                md,
                "| {c} | {} | {} | {:.2}x | {:.2} % | {:.2} % | {} in {} calls |",
                ratio(50.0),
                ratio(99.0),
                relay.per_second / self.cell(Route::Nginx, c).per_second,
                self.reuse(Route::Relay, c) * 100.0,
                self.reuse(Route::Nginx, c) * 100.0,
                relay.relay_handshakes.unwrap_or(0),
                thousands(relay.requests as f64)
            );
        }
        md.push_str(
            "\n**The noise floor**: the second nginx is configured exactly as the first, so what \
             separates their added latencies is the measurement's own spread in this run; the \
             relay's difference from nginx is shown beside it (µs; negative: lower than nginx).\n\n\
             | concurrency | nginx (2nd) − nginx, added p50 | relay − nginx, added p50 | nginx (2nd) − nginx, added p99 | relay − nginx, added p99 |\n\
             |---:|---:|---:|---:|---:|\n",
        );
        for &c in &self.concurrency {
            let against_nginx =
                |route: Route, p: f64| self.added(route, c, p) - self.added(Route::Nginx, c, p);
            let _ = writeln!(
                md,
                "| {c} | {:+.0} | {:+.0} | {:+.0} | {:+.0} |",
                against_nginx(Route::NginxAgain, 50.0),
                against_nginx(Route::Relay, 50.0),
                against_nginx(Route::NginxAgain, 99.0),
                against_nginx(Route::Relay, 99.0),
            );
        }
        let m = &self.memory;
        let _ = writeln!(
            md,
            "\n**Relay memory** (resident set, MB = 10^6 bytes):\n\n\
             | moment | RSS |\n|---|---:|\n\
             | idle, just started | {:.1} MB |\n\
             | after the runs above | {:.1} MB |\n\
             | peak, {} concurrent PATCHes of {} KiB JSON bodies, echoed back ({} calls in {:.0} s, {} errors) | {:.1} MB |\n\
             | after that load | {:.1} MB |",
            mb(m.idle),
            mb(m.after_calls),
            m.upload_concurrency,
            m.upload_bytes / 1024,
            m.upload.requests,
            m.upload.seconds,
            m.upload.errors,
            mb(m.peak),
            mb(m.after_upload)
        );
        md
    }

    /// The connection counting's self-check: on the direct path every run must count the
    /// connections wrk opened (its keep-alive connections, plus one it opens first to test the
    /// address); beside the relay's runs, what the relay's own counter says.
    pub fn counting_check(&self) -> String {
        let sum = |route: Route, f: fn(&Sample) -> u64| -> u64 {
            self.samples
                .iter()
                .filter(|s| s.route == route)
                .map(f)
                .sum()
        };
        let direct_counted = sum(Route::Direct, |s| s.new_connections);
        let direct_opened = sum(Route::Direct, |s| u64::from(s.concurrency) + 1);
        let relay_counted = sum(Route::Relay, |s| s.new_connections);
        let relay_said = sum(Route::Relay, |s| s.relay_handshakes.unwrap_or(0));
        format!(
            "New upstream connections are counted by the simulated device (the connections it accepts) for \
             all three paths. Check: the direct runs counted {direct_counted} where wrk opened \
             {direct_opened} (its connections plus one test connection per run). The relay runs \
             counted {relay_counted}; the relay's own `tokendeck_device_tls_handshakes_total` \
             (TLS connections its pool opened, resumed sessions included) says {relay_said}."
        )
    }
}
