//! Medians over the interleaved rounds, the proxies' added latency, the Markdown tables and the
//! PASS/FAIL lines for the targets of issue 11.

use std::fmt::Write;

use e2e::median;

use crate::wrk::Measured;

/// How a call reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    Relay,
    Nginx,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Direct, Route::Relay, Route::Nginx];

    pub fn label(self) -> &'static str {
        match self {
            Route::Direct => "direct",
            Route::Relay => "relay",
            Route::Nginx => "nginx",
        }
    }
}

/// One wrk run.
pub struct Sample {
    pub route: Route,
    pub concurrency: u32,
    pub round: u32,
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

/// Median statistics of one route at one concurrency.
struct Cell {
    p50: f64,
    p90: f64,
    p99: f64,
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

    fn cell(&self, route: Route, concurrency: u32) -> Cell {
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
            p50: of(|m| m.p50_us),
            p90: of(|m| m.p90_us),
            p99: of(|m| m.p99_us),
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

    /// Median over rounds of (proxy − direct) in the same round: the latency a proxy adds.
    fn added(&self, route: Route, concurrency: u32, pick: fn(&Measured) -> f64) -> f64 {
        let deltas = (0..self.rounds)
            .filter_map(|round| {
                let at = |r: Route| {
                    self.runs(r, concurrency)
                        .find(|s| s.round == round)
                        .map(|s| pick(&s.measured))
                };
                Some(at(route)? - at(Route::Direct)?)
            })
            .collect();
        median(deltas)
    }

    /// Share of calls at `concurrency` that went over an upstream connection already open.
    fn reuse(&self, route: Route, concurrency: u32) -> f64 {
        let cell = self.cell(route, concurrency);
        1.0 - cell.new_connections as f64 / cell.requests as f64
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for &c in &self.concurrency {
            for (name, pick) in [
                ("p50", (|m: &Measured| m.p50_us) as fn(&Measured) -> f64),
                ("p99", |m: &Measured| m.p99_us),
            ] {
                let (relay, nginx) = (
                    self.added(Route::Relay, c, pick),
                    self.added(Route::Nginx, c, pick),
                );
                out.push(Verdict {
                    pass: relay <= nginx,
                    what: format!(
                        "relay's added {name} no worse than nginx's at concurrency {c}: {relay:.0} µs vs {nginx:.0} µs"
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
            "Median of {} interleaved rounds (the order of the three paths rotates each round), \
             {} s of wrk per path and concurrency. Latencies in µs; *added* is the proxy's \
             latency minus the direct call's in the same round; *CPU per call* is the proxy's \
             CPU time (user + system, all its processes, from `/proc`) over the calls of the run.\n",
            self.rounds, self.seconds
        );
        md.push_str(
            "| concurrency | path | p50 | p90 | p99 | calls/s | added p50 | added p99 | CPU per call | new upstream connections | errors |\n\
             |---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for &c in &self.concurrency {
            for route in Route::ALL {
                let cell = self.cell(route, c);
                let (added50, added99) = match route {
                    Route::Direct => ("—".to_owned(), "—".to_owned()),
                    _ => (
                        format!("{:+.0}", self.added(route, c, |m| m.p50_us)),
                        format!("{:+.0}", self.added(route, c, |m| m.p99_us)),
                    ),
                };
                let _ = writeln!(
                    md,
                    "| {c} | {} | {:.0} | {:.0} | {:.0} | {} | {added50} | {added99} | {} | {} in {} calls | {} |",
                    route.label(),
                    cell.p50,
                    cell.p90,
                    cell.p99,
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
            "\n**Relay against nginx** (ratios relay / nginx; added latency above 1 and throughput below 1 are worse):\n\n\
             | concurrency | added p50 | added p99 | calls/s | upstream reuse, relay | upstream reuse, nginx | relay's own handshake counter |\n\
             |---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for &c in &self.concurrency {
            let ratio = |pick: fn(&Measured) -> f64| {
                self.added(Route::Relay, c, pick) / self.added(Route::Nginx, c, pick)
            };
            let relay = self.cell(Route::Relay, c);
            let _ = writeln!(
                md,
                "| {c} | {:.2}x | {:.2}x | {:.2}x | {:.2} % | {:.2} % | {} in {} calls |",
                ratio(|m| m.p50_us),
                ratio(|m| m.p99_us),
                relay.per_second / self.cell(Route::Nginx, c).per_second,
                self.reuse(Route::Relay, c) * 100.0,
                self.reuse(Route::Nginx, c) * 100.0,
                relay.relay_handshakes.unwrap_or(0),
                thousands(relay.requests as f64)
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
