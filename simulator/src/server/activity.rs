//! What one connection is doing: how many of its requests are in progress and when the last
//! one started or ended, so that a connection idle for too long can be closed.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Shared between a connection's service (which marks requests) and its task (which closes
/// the connection once it has been idle for the keep-alive timeout).
#[derive(Debug)]
pub struct Activity {
    in_flight: AtomicUsize,
    last_change: Mutex<Instant>,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            last_change: Mutex::new(Instant::now()),
        })
    }

    /// Mark a request as started; it counts as in progress until the guard is dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
        RequestGuard(Arc::clone(self))
    }

    fn touch(&self) {
        *self
            .last_change
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
    }

    /// When the connection will have been idle for `idle` if nothing happens until then, or
    /// `None` while a request is in progress.
    pub fn idle_deadline(&self, idle: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let last = *self
            .last_change
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Some(last + idle)
    }
}

/// A request in progress on a connection.
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.touch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_counts_from_the_last_request_and_not_during_one() {
        let activity = Activity::new();
        let idle = Duration::from_secs(15);
        let opened = activity.idle_deadline(idle).unwrap();
        assert!(opened <= Instant::now() + idle);
        let first = activity.begin();
        let second = activity.begin();
        assert_eq!(activity.idle_deadline(idle), None);
        drop(first);
        assert_eq!(activity.idle_deadline(idle), None, "one still in progress");
        std::thread::sleep(Duration::from_millis(5));
        drop(second);
        let after = activity.idle_deadline(idle).unwrap();
        assert!(
            after > opened,
            "the idle clock restarts when the last request ends"
        );
    }
}
