//! Load and soak through the shipped relay: a fixed number of authenticated calls at 64
//! concurrent, each checked whole (status 200 and exactly the body the device gives when called
//! directly), so an error or a lost or damaged reply is counted, not inferred; and, on request,
//! the same load kept up for a while with the relay's resident memory sampled every second, to
//! show whether it stays flat.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::processes::status_kib;
use crate::report::{mb, thousands};

/// How many calls run at once.
pub const CONCURRENT: usize = 64;

/// What a run of calls came to.
#[derive(Debug, Default)]
pub struct Tally {
    pub calls: u64,
    /// Status 200 with exactly the expected body.
    pub whole: u64,
    /// No answer (connection or read failure) or a status other than 200.
    pub errors: u64,
    /// Answered 200 with a body other than the expected one (cut, damaged, someone else's).
    pub wrong: u64,
    pub seconds: f64,
}

impl Tally {
    fn per_second(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
}

/// Shared counters of the workers.
#[derive(Default)]
struct Counters {
    started: AtomicU64,
    whole: AtomicU64,
    errors: AtomicU64,
    wrong: AtomicU64,
}

/// The body the device gives for `url` when called directly (with `token`).
pub async fn direct_body(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<Vec<u8>> {
    Ok(client
        .get(url)
        .header("X-F5-Auth-Token", token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?
        .to_vec())
}

/// Calls `url` with `token` from [`CONCURRENT`] workers until `calls` have been made (or, with
/// `until`, until that moment), each checked against `expected`.
pub async fn run(
    url: &str,
    token: &str,
    expected: &[u8],
    calls: Option<u64>,
    until: Option<Instant>,
) -> anyhow::Result<Tally> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CONCURRENT)
        .timeout(Duration::from_secs(30))
        .build()?;
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (http, counters) = (http.clone(), counters.clone());
            let (url, token, expected) = (url.to_owned(), token.to_owned(), expected.to_vec());
            tokio::spawn(async move {
                loop {
                    let n = counters.started.fetch_add(1, Ordering::Relaxed);
                    if calls.is_some_and(|calls| n >= calls)
                        || until.is_some_and(|until| Instant::now() >= until)
                    {
                        counters.started.fetch_sub(1, Ordering::Relaxed);
                        break;
                    }
                    let answer = http
                        .get(&url)
                        .header("X-F5-Auth-Token", &token)
                        .send()
                        .await;
                    let body = match answer {
                        Ok(response) if response.status() == 200 => response.bytes().await,
                        _ => {
                            counters.errors.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    };
                    match body {
                        Ok(body) if body[..] == expected[..] => {
                            counters.whole.fetch_add(1, Ordering::Relaxed)
                        }
                        Ok(_) => counters.wrong.fetch_add(1, Ordering::Relaxed),
                        Err(_) => counters.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await?;
    }
    Ok(Tally {
        calls: counters.started.load(Ordering::Relaxed),
        whole: counters.whole.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        wrong: counters.wrong.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// A soak: the load kept up for a while, and the relay's resident memory meanwhile.
pub struct Soak {
    pub tally: Tally,
    /// (seconds since the start, RSS in KiB), one a second.
    pub samples: Vec<(f64, u64)>,
}

/// Keep the load up for `seconds`, sampling `pid`'s RSS every second.
pub async fn soak(
    pid: u32,
    url: &str,
    token: &str,
    expected: &[u8],
    seconds: u32,
) -> anyhow::Result<Soak> {
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(kib) = status_kib(pid, "VmRSS:") {
                    samples.push((started.elapsed().as_secs_f64(), kib));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            samples
        })
    };
    let until = started + Duration::from_secs(u64::from(seconds));
    let tally = run(url, token, expected, None, Some(until)).await;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    Ok(Soak {
        tally: tally?,
        samples,
    })
}

impl Soak {
    /// The highest RSS in the first and in the second half of the soak, in KiB (the first
    /// five seconds, while pools and allocators fill, left out).
    fn halves(&self) -> (u64, u64) {
        let end = self.samples.last().map_or(0.0, |s| s.0);
        let settled = self
            .samples
            .iter()
            .filter(|s| s.0 >= 5.0_f64.min(end / 4.0));
        let (mut first, mut second) = (0, 0);
        for &(at, kib) in settled {
            if at < end / 2.0 {
                first = first.max(kib);
            } else {
                second = second.max(kib);
            }
        }
        (first, second)
    }

    /// Flat: the second half's peak at most 10 % (and 2 MB) above the first half's.
    fn flat(&self) -> bool {
        let (first, second) = self.halves();
        first > 0 && mb(second) <= mb(first) * 1.10 + 2.0
    }
}

/// The PASS/FAIL lines.
pub fn verdicts(load: &Tally, soak: Option<&Soak>) -> Vec<String> {
    let word = |pass: bool| if pass { "PASS" } else { "FAIL" };
    let mut out = vec![format!(
        "{} {} proxied calls at {CONCURRENT} concurrent, every one answered whole: {} errors, {} lost or wrong",
        word(load.errors == 0 && load.wrong == 0 && load.whole == load.calls),
        thousands(load.calls as f64),
        load.errors,
        load.calls - load.whole - load.errors,
    )];
    if let Some(soak) = soak {
        let (first, second) = soak.halves();
        let t = &soak.tally;
        out.push(format!(
            "{} relay RSS flat over a {:.0} s soak at {CONCURRENT} concurrent ({} calls, {} errors, {} lost or wrong): peak {:.1} MB in the first half, {:.1} MB in the second",
            word(soak.flat() && t.errors == 0 && t.wrong == 0),
            t.seconds,
            thousands(t.calls as f64),
            t.errors,
            t.calls - t.whole - t.errors,
            mb(first),
            mb(second)
        ));
    }
    out
}

/// The Markdown section.
pub fn markdown(load: &Tally, soak: Option<&Soak>) -> String {
    let mut md = String::from(
        "\n**Load** (a Rust client in the bench process, keep-alive, each reply compared byte for byte with the device's own answer to the same call):\n\n| run | calls | answered whole | errors | lost or wrong | seconds | calls/s |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut row = |name: &str, t: &Tally| {
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {:.1} | {} |",
            thousands(t.calls as f64),
            thousands(t.whole as f64),
            t.errors,
            t.calls - t.whole - t.errors,
            t.seconds,
            thousands(t.per_second())
        );
    };
    row(
        &format!(
            "{} calls at {CONCURRENT} concurrent",
            thousands(load.calls as f64)
        ),
        load,
    );
    if let Some(soak) = soak {
        row(
            &format!(
                "soak, {:.0} s at {CONCURRENT} concurrent",
                soak.tally.seconds
            ),
            &soak.tally,
        );
    }
    match soak {
        None => {
            md.push_str("\nNo soak in this run (`cargo xtask bench --soak SECONDS` adds one).\n")
        }
        Some(soak) => {
            md.push_str("\n**Relay memory during the soak** (RSS, sampled every second; every tenth sample shown):\n\n| second | RSS |\n|---:|---:|\n");
            let step = (soak.samples.len() / 10).max(1);
            for (i, (at, kib)) in soak.samples.iter().enumerate() {
                if i % step == 0 || i + 1 == soak.samples.len() {
                    let _ = writeln!(md, "| {at:.0} | {:.1} MB |", mb(*kib));
                }
            }
        }
    }
    md
}
