//! The vocabulary of budgets: a [`Budget`] is a sliding window with a number of slots; taking a
//! slot gives a [`Slot`] (to release when the thing it counts is over, or to leave to expire),
//! and a full window answers with a [`Wait`].
//!
//! Callers with different limits may count in one window (a device's token calls may use slots
//! its other calls may not): each call is admitted while fewer than its own `limit` count, and a
//! refused one waits until enough slots have left for it, not just the first.

use std::sync::Arc;
use std::time::Duration;

/// A sliding window of `limit` slots, each counting for `window` after it was taken (or until
/// released). `key` names what is counted (a device's requests, an address's wrong keys);
/// shared, so a key made once (a device's) costs no allocation per call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub key: Arc<str>,
    pub limit: u32,
    pub window: Duration,
}

/// A slot taken in a budget's window; hand it back with `ReplicaStore::release`.
#[derive(Debug, PartialEq, Eq)]
pub struct Slot {
    pub(crate) key: Arc<str>,
    pub(crate) member: String,
    /// Taken in this replica's own count (the local backend, or Redis unreachable).
    pub(crate) local: bool,
}

/// The window is full for this caller; enough slots have left for it after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl Wait {
    /// Whole seconds, at least one, as `Retry-After` wants them.
    pub fn retry_after_secs(self) -> u64 {
        let secs = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        secs.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        assert_eq!(Wait(Duration::ZERO).retry_after_secs(), 1);
        assert_eq!(Wait(Duration::from_millis(1)).retry_after_secs(), 1);
        assert_eq!(Wait(Duration::from_millis(1001)).retry_after_secs(), 2);
        assert_eq!(Wait(Duration::from_secs(40)).retry_after_secs(), 40);
    }
}
