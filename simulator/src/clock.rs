//! The simulator's notion of "now": real time, sped-up time for demos, or a manual clock that
//! tests advance without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A shareable clock. Cloning shares the same time line.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    anchor_micros: i64,
    anchor: Instant,
    /// How many simulated seconds pass per real second; 0 freezes the clock.
    speed: f64,
    offset_micros: AtomicI64,
}

fn wall_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default()
}

impl Clock {
    /// Real time.
    pub fn system() -> Self {
        Self::with_speed(1.0)
    }

    /// Time that runs `speed` times faster than real time (a demo can let a 20-minute token
    /// expire in one minute with `speed = 20`).
    pub fn with_speed(speed: f64) -> Self {
        Self(Arc::new(Inner {
            anchor_micros: wall_micros(),
            anchor: Instant::now(),
            speed: speed.max(0.0),
            offset_micros: AtomicI64::new(0),
        }))
    }

    /// A clock that stands still at the current wall time until [`Clock::advance`] moves it.
    pub fn manual() -> Self {
        Self::with_speed(0.0)
    }

    /// Epoch microseconds now.
    pub fn now_micros(&self) -> i64 {
        let elapsed = self.0.anchor.elapsed().as_micros() as f64 * self.0.speed;
        self.0.anchor_micros + elapsed as i64 + self.0.offset_micros.load(Ordering::SeqCst)
    }

    /// Move the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0
            .offset_micros
            .fetch_add(by.as_micros() as i64, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual();
        let t0 = clock.now_micros();
        assert_eq!(clock.now_micros(), t0);
        clock.advance(Duration::from_secs(1200));
        assert_eq!(clock.now_micros(), t0 + 1_200_000_000);
    }

    #[test]
    fn clones_share_the_time_line() {
        let clock = Clock::manual();
        let other = clock.clone();
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now_micros(), other.now_micros());
    }
}
