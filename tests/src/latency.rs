//! Latency histograms for the benchmarks: how many calls took each whole number of
//! microseconds, as wrk records them, so the runs of several interleaved rounds can be merged
//! and their percentiles read over every call rather than as a median of per-run percentiles.

use std::collections::BTreeMap;

/// Calls per latency (µs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Latencies {
    calls: BTreeMap<u64, u64>,
}

impl Latencies {
    /// `calls` more calls that took `micros`.
    pub fn add(&mut self, micros: u64, calls: u64) {
        if calls > 0 {
            *self.calls.entry(micros).or_default() += calls;
        }
    }

    /// Every call of `other` too.
    pub fn merge(&mut self, other: &Latencies) {
        for (&micros, &calls) in &other.calls {
            self.add(micros, calls);
        }
    }

    /// How many calls.
    pub fn calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// The `p`th percentile (0–100) the way wrk computes it: the smallest latency with at
    /// least `round(p / 100 × n + 0.5)` of the `n` calls at or below it. `None` for no calls.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        let n = self.calls();
        if n == 0 {
            return None;
        }
        let rank = ((p / 100.0) * n as f64 + 0.5).round().clamp(1.0, n as f64) as u64;
        let mut seen = 0;
        self.calls.iter().find_map(|(&micros, &calls)| {
            seen += calls;
            (seen >= rank).then_some(micros)
        })
    }
}

impl FromIterator<(u64, u64)> for Latencies {
    fn from_iter<I: IntoIterator<Item = (u64, u64)>>(pairs: I) -> Self {
        let mut out = Self::default();
        for (micros, calls) in pairs {
            out.add(micros, calls);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Latencies;

    #[test]
    fn percentiles_follow_wrks_rank() {
        // 100 calls: 1..=100 µs, one each.
        let h: Latencies = (1..=100).map(|us| (us, 1)).collect();
        assert_eq!(h.calls(), 100);
        // rank round(50.5) = 51 (C's round, half away from zero).
        assert_eq!(h.percentile(50.0), Some(51));
        assert_eq!(h.percentile(99.0), Some(100));
        assert_eq!(h.percentile(90.0), Some(91));
        assert_eq!(h.percentile(0.0), Some(1));
        assert_eq!(h.percentile(100.0), Some(100));
        assert_eq!(Latencies::default().percentile(50.0), None);
    }

    #[test]
    fn merging_weighs_each_run_by_its_calls() {
        // A run of 99 fast calls and a slow one, and a run of 100 fast calls: over both, 0.5 %
        // of the calls were slow, so the 99th percentile is fast; in the first alone it is not.
        let first: Latencies = [(100, 99), (3000, 1)].into_iter().collect();
        let second: Latencies = [(110, 100)].into_iter().collect();
        assert_eq!(first.percentile(99.0), Some(3000));
        let mut both = first.clone();
        both.merge(&second);
        assert_eq!(both.calls(), 200);
        assert_eq!(both.percentile(99.0), Some(110));
        assert_eq!(both.percentile(99.5), Some(3000));
        assert_eq!(both.percentile(50.0), Some(110));
    }
}
