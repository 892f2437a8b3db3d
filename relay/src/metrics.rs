//! `/metrics` in the Prometheus text format, hand-rolled: device calls by device and status,
//! their latency, relay errors by code, wrong access keys, and TLS handshakes per device
//! (with the call count, this shows how often the keep-alive pool is reused), device replies
//! cut off mid-body, and client connections (accepted, open: with the request count, this
//! shows how well client keep-alive holds).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::inventory::adhoc::is_adhoc_id;

/// Latency bucket upper bounds, in seconds.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; 12],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// How a device call ended: the device's HTTP status, or the relay error code when the device
/// gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Status(u16),
    Relay(&'static str),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Status(status) => write!(f, "{status}"),
            Outcome::Relay(code) => f.write_str(code),
        }
    }
}

/// One device label's calls: counts by outcome and the latency histogram.
#[derive(Debug, Default)]
struct DeviceCalls {
    outcomes: BTreeMap<Outcome, u64>,
    latency: Histogram,
}

/// The relay's counters. Cheap to update (a device call takes one uncontended lock and
/// allocates only the first time a label is seen); rendered on scrape.
#[derive(Debug, Default)]
pub struct Metrics {
    calls: Mutex<BTreeMap<String, DeviceCalls>>,
    relay_errors: Mutex<BTreeMap<&'static str, u64>>,
    replies_cut: Mutex<BTreeMap<(String, &'static str), u64>>,
    connections_accepted: AtomicU64,
    connections_open: AtomicI64,
    /// Set once the server starts its workers (`crate::server::accept`).
    by_worker: OnceLock<Arc<WorkerConnections>>,
}

/// Client connections open on each server worker, which the server places new connections by.
#[derive(Debug)]
pub struct WorkerConnections(Box<[AtomicUsize]>);

impl WorkerConnections {
    /// One count per worker, at least one.
    pub fn counts(&self) -> &[AtomicUsize] {
        &self.0
    }
}

/// Metric label for a device: its id, or `adhoc` for all ad-hoc devices (unbounded ids).
pub fn device_label(id: &str) -> &str {
    if is_adhoc_id(id) { "adhoc" } else { id }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Metrics {
    /// One device call and how it ended.
    pub fn device_call(&self, device_id: &str, outcome: Outcome, elapsed: Duration) {
        let label = device_label(device_id);
        let mut calls = lock(&self.calls);
        let device = match calls.get_mut(label) {
            Some(device) => device,
            None => calls.entry(label.to_owned()).or_default(),
        };
        *device.outcomes.entry(outcome).or_default() += 1;
        device.latency.observe(elapsed.as_secs_f64());
    }

    pub fn relay_error(&self, code: &'static str) {
        *lock(&self.relay_errors).entry(code).or_default() += 1;
    }

    /// A device reply that failed after its headers had gone to the client; `code` is the
    /// relay error code the failure would have had.
    pub fn reply_cut(&self, device_id: &str, code: &'static str) {
        let device = device_label(device_id).to_owned();
        *lock(&self.replies_cut).entry((device, code)).or_default() += 1;
    }

    /// The per-worker connection counts of a server with `workers` workers (the first call
    /// decides how many).
    pub fn worker_connections(&self, workers: usize) -> Arc<WorkerConnections> {
        self.by_worker
            .get_or_init(|| {
                Arc::new(WorkerConnections(
                    (0..workers.max(1)).map(|_| AtomicUsize::new(0)).collect(),
                ))
            })
            .clone()
    }

    /// A client connection accepted; the returned guard counts it open until dropped.
    pub fn connection_opened(self: &std::sync::Arc<Self>) -> OpenConnection {
        self.connections_accepted.fetch_add(1, Ordering::Relaxed);
        self.connections_open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    /// Client connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.connections_accepted.load(Ordering::Relaxed)
    }

    /// The text exposition. `handshakes` is (device label, TLS connections opened).
    pub fn render(&self, handshakes: &[(String, u64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP tokendeck_device_requests_total Calls forwarded to devices, by device and outcome (HTTP status, or the relay error code when the device did not answer).\n");
        out.push_str("# TYPE tokendeck_device_requests_total counter\n");
        let calls = lock(&self.calls);
        for (device, stats) in calls.iter() {
            for (outcome, n) in &stats.outcomes {
                let _ = writeln!(
                    out,
                    "tokendeck_device_requests_total{{device=\"{}\",status=\"{outcome}\"}} {n}",
                    escape(device),
                );
            }
        }
        out.push_str("# HELP tokendeck_device_request_duration_seconds Time until the device's response headers.\n");
        out.push_str("# TYPE tokendeck_device_request_duration_seconds histogram\n");
        for (device, stats) in calls.iter() {
            let h = &stats.latency;
            let d = escape(device);
            for (bound, n) in BUCKETS.iter().zip(h.counts.iter()) {
                let _ = writeln!(
                    out,
                    "tokendeck_device_request_duration_seconds_bucket{{device=\"{d}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "tokendeck_device_request_duration_seconds_bucket{{device=\"{d}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tokendeck_device_request_duration_seconds_sum{{device=\"{d}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tokendeck_device_request_duration_seconds_count{{device=\"{d}\"}} {}",
                h.count
            );
        }
        drop(calls);
        out.push_str("# HELP tokendeck_device_tls_handshakes_total TLS connections opened to each device (full and resumed handshakes); compare with requests to see keep-alive reuse.\n");
        out.push_str("# TYPE tokendeck_device_tls_handshakes_total counter\n");
        let mut by_device: BTreeMap<&str, u64> = BTreeMap::new();
        for (device, n) in handshakes {
            *by_device.entry(device.as_str()).or_default() += n;
        }
        for (device, n) in by_device {
            let _ = writeln!(
                out,
                "tokendeck_device_tls_handshakes_total{{device=\"{}\"}} {n}",
                escape(device)
            );
        }
        out.push_str(
            "# HELP tokendeck_relay_errors_total Errors the relay produced itself, by code.\n",
        );
        out.push_str("# TYPE tokendeck_relay_errors_total counter\n");
        for (code, n) in lock(&self.relay_errors).iter() {
            let _ = writeln!(out, "tokendeck_relay_errors_total{{code=\"{code}\"}} {n}");
        }
        let wrong_keys = lock(&self.relay_errors)
            .get("access_key_wrong")
            .copied()
            .unwrap_or(0);
        out.push_str(
            "# HELP tokendeck_access_key_failures_total Requests with a wrong access key.\n",
        );
        out.push_str("# TYPE tokendeck_access_key_failures_total counter\n");
        let _ = writeln!(out, "tokendeck_access_key_failures_total {wrong_keys}");
        out.push_str("# HELP tokendeck_device_replies_cut_total Device replies that failed after their headers were passed on, by device and cause.\n");
        out.push_str("# TYPE tokendeck_device_replies_cut_total counter\n");
        for ((device, code), n) in lock(&self.replies_cut).iter() {
            let _ = writeln!(
                out,
                "tokendeck_device_replies_cut_total{{device=\"{}\",code=\"{code}\"}} {n}",
                escape(device)
            );
        }
        out.push_str("# HELP tokendeck_connections_accepted_total Client connections accepted.\n");
        out.push_str("# TYPE tokendeck_connections_accepted_total counter\n");
        let _ = writeln!(
            out,
            "tokendeck_connections_accepted_total {}",
            self.connections_accepted()
        );
        out.push_str("# HELP tokendeck_connections_open Client connections open now.\n");
        out.push_str("# TYPE tokendeck_connections_open gauge\n");
        let _ = writeln!(
            out,
            "tokendeck_connections_open {}",
            self.connections_open.load(Ordering::Relaxed)
        );
        if let Some(workers) = self.by_worker.get() {
            out.push_str(
                "# HELP tokendeck_connections_open_by_worker Client connections open now on each \
                 server worker (one per core; a new connection goes to the one with the fewest).\n",
            );
            out.push_str("# TYPE tokendeck_connections_open_by_worker gauge\n");
            for (worker, open) in workers.counts().iter().enumerate() {
                let _ = writeln!(
                    out,
                    "tokendeck_connections_open_by_worker{{worker=\"{worker}\"}} {}",
                    open.load(Ordering::Relaxed)
                );
            }
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts one client connection as open while it lives.
#[derive(Debug)]
pub struct OpenConnection(std::sync::Arc<Metrics>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.connections_open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.device_call("lab", Outcome::Status(200), Duration::from_millis(20));
        m.device_call("lab", Outcome::Status(200), Duration::from_millis(300));
        m.device_call(
            "adhoc~bigip~10.0.0.1~443",
            Outcome::Relay("timeout"),
            Duration::from_secs(1),
        );
        m.relay_error("timeout");
        m.relay_error("access_key_wrong");
        m.reply_cut("lab", "timeout");
        let text = m.render(&[("lab".into(), 1)]);
        assert!(text.contains("tokendeck_device_requests_total{device=\"lab\",status=\"200\"} 2"));
        assert!(
            text.contains("tokendeck_device_requests_total{device=\"adhoc\",status=\"timeout\"} 1")
        );
        assert!(text.contains(
            "tokendeck_device_request_duration_seconds_bucket{device=\"lab\",le=\"0.025\"} 1"
        ));
        assert!(text.contains(
            "tokendeck_device_request_duration_seconds_bucket{device=\"lab\",le=\"0.5\"} 2"
        ));
        assert!(text.contains("tokendeck_device_tls_handshakes_total{device=\"lab\"} 1"));
        assert!(text.contains("tokendeck_relay_errors_total{code=\"timeout\"} 1"));
        assert!(text.contains("tokendeck_access_key_failures_total 1"));
        assert!(
            text.contains("tokendeck_device_replies_cut_total{device=\"lab\",code=\"timeout\"} 1")
        );
    }
}
