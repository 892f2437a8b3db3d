//! Sliding windows of slots kept in memory: the budgets of the local backend, and of the Redis
//! backend while Redis is away. Pure: time is a parameter, so tests move it by hand.
//!
//! Callers with different limits may share a window (a device's token calls and its other
//! calls): a full one answers how long until enough slots have left for *this* caller's limit.
//!
//! Bounded: at most `max_keys` windows are kept. When a new one would pass that, windows whose
//! slots have all expired go first, then the one least recently used — one at a time, so the
//! table never forgets everyone at once (a client rotating addresses cannot wipe the lockouts
//! of the others).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One window's slots: (when it stops counting, member).
#[derive(Debug, Default)]
struct Window {
    slots: Vec<(Instant, String)>,
    last_used: Option<Instant>,
}

impl Window {
    fn forget_expired(&mut self, now: Instant) {
        self.slots.retain(|(until, _)| *until > now);
    }

    /// How long until fewer than `limit` slots count: the `len − limit`-th slot to expire (the
    /// earliest when the window is exactly full). Only asked of a full window (`len ≥ limit`).
    fn free_below(&self, limit: u32, now: Instant) -> Duration {
        let mut untils: Vec<Instant> = self.slots.iter().map(|(until, _)| *until).collect();
        let Some(nth) = untils.len().checked_sub(limit as usize) else {
            return Duration::ZERO;
        };
        let (_, until, _) = untils.select_nth_unstable(nth);
        until.saturating_duration_since(now)
    }
}

/// Sliding windows by key.
#[derive(Debug)]
pub struct Windows {
    by_key: HashMap<String, Window>,
    max_keys: usize,
}

impl Windows {
    pub fn new(max_keys: usize) -> Self {
        Self {
            by_key: HashMap::new(),
            max_keys: max_keys.max(1),
        }
    }

    /// Take a slot named `member` in `key`'s window if fewer than `limit` count at `now`;
    /// else how long until one frees.
    pub fn take(
        &mut self,
        key: &str,
        limit: u32,
        window: Duration,
        member: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        if !self.by_key.contains_key(key) {
            self.make_room(now);
            self.by_key.insert(key.to_owned(), Window::default());
        }
        // The key is copied only for a new window, not on every call.
        let entry = self.by_key.get_mut(key).expect("inserted above");
        entry.forget_expired(now);
        entry.last_used = Some(now);
        if entry.slots.len() >= limit as usize {
            return Err(entry.free_below(limit, now));
        }
        entry.slots.push((now + window, member.to_owned()));
        Ok(())
    }

    /// Whether a slot could be taken in `key`'s window at `now` (nothing is taken).
    pub fn check(&mut self, key: &str, limit: u32, now: Instant) -> Result<(), Duration> {
        let Some(entry) = self.by_key.get_mut(key) else {
            return Ok(());
        };
        entry.forget_expired(now);
        if entry.slots.len() >= limit as usize {
            return Err(entry.free_below(limit, now));
        }
        Ok(())
    }

    /// Hand back the slot `member` of `key` (nothing happens if it has expired).
    pub fn release(&mut self, key: &str, member: &str) {
        if let Some(entry) = self.by_key.get_mut(key) {
            entry.slots.retain(|(_, m)| m != member);
        }
    }

    /// Windows kept now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Make room for one more window: expired ones first, then the least recently used one.
    fn make_room(&mut self, now: Instant) {
        if self.by_key.len() < self.max_keys {
            return;
        }
        self.by_key.retain(|_, w| {
            w.forget_expired(now);
            !w.slots.is_empty()
        });
        if self.by_key.len() < self.max_keys {
            return;
        }
        let oldest = self
            .by_key
            .iter()
            .min_by_key(|(_, w)| w.last_used)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            self.by_key.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_full_window_says_when_its_oldest_slot_frees() {
        let mut w = Windows::new(10);
        let t0 = Instant::now();
        for n in 0..3 {
            let at = t0 + Duration::from_secs(n * 10);
            assert_eq!(w.take("lab", 3, MINUTE, &format!("s{n}"), at), Ok(()));
        }
        let at = t0 + Duration::from_secs(25);
        assert_eq!(
            w.take("lab", 3, MINUTE, "s3", at),
            Err(Duration::from_secs(35))
        );
        assert_eq!(w.check("lab", 3, at), Err(Duration::from_secs(35)));
        // A minute after the first slot, it no longer counts.
        assert_eq!(w.take("lab", 3, MINUTE, "s4", t0 + MINUTE), Ok(()));
        assert!(w.take("lab", 3, MINUTE, "s5", t0 + MINUTE).is_err());
        // Other keys are counted apart.
        assert_eq!(w.take("other", 3, MINUTE, "s6", t0 + MINUTE), Ok(()));
    }

    #[test]
    fn a_lower_limit_in_a_shared_window_waits_for_as_many_slots_as_it_is_over() {
        // Token calls may fill the window to 5, other calls only to 3: with 5 counted, another
        // call waits until 3 have left (the third to expire), not until the first has.
        let mut w = Windows::new(10);
        let t0 = Instant::now();
        for n in 0..5 {
            let at = t0 + Duration::from_secs(n * 10);
            assert_eq!(w.take("lab", 5, MINUTE, &format!("s{n}"), at), Ok(()));
        }
        let at = t0 + Duration::from_secs(45);
        assert_eq!(
            w.take("lab", 3, MINUTE, "x", at),
            Err(Duration::from_secs(35)),
            "until the slot taken at 20 s expires at 80 s"
        );
        assert_eq!(w.check("lab", 3, at), Err(Duration::from_secs(35)));
        assert_eq!(
            w.take("lab", 5, MINUTE, "y", at),
            Err(Duration::from_secs(15)),
            "the higher limit waits for the first slot only"
        );
        assert_eq!(
            w.take("lab", 3, MINUTE, "z", t0 + Duration::from_secs(80)),
            Ok(())
        );
    }

    #[test]
    fn a_released_slot_is_free_at_once() {
        let mut w = Windows::new(10);
        let t0 = Instant::now();
        w.take("calls", 1, MINUTE, "a", t0).unwrap();
        assert!(w.take("calls", 1, MINUTE, "b", t0).is_err());
        w.release("calls", "a");
        assert_eq!(w.take("calls", 1, MINUTE, "b", t0), Ok(()));
        w.release("calls", "gone");
        w.release("no-such-key", "a");
    }

    #[test]
    fn checking_takes_nothing() {
        let mut w = Windows::new(10);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(w.check("k", 1, t0), Ok(()));
        }
        assert_eq!(w.take("k", 1, MINUTE, "a", t0), Ok(()));
    }

    #[test]
    fn a_full_table_forgets_one_window_at_a_time_never_everyone() {
        let t0 = Instant::now();
        // Clients rotating through new keys never grow the table past its bound.
        let mut w = Windows::new(3);
        for n in 0..50u64 {
            let _ = w.take(&format!("rotating-{n}"), 1, MINUTE, "r", t0);
            assert!(w.len() <= 3, "bounded");
        }
        // Each new key costs the least recently used window, one: the others stay locked.
        let mut w = Windows::new(3);
        w.take("a", 1, MINUTE, "x", t0).unwrap();
        w.take("b", 1, MINUTE, "x", t0 + Duration::from_secs(1))
            .unwrap();
        w.take("c", 1, MINUTE, "x", t0 + Duration::from_secs(2))
            .unwrap();
        // "a" is used again: "b" is now the least recently used.
        assert!(
            w.take("a", 1, MINUTE, "y", t0 + Duration::from_secs(3))
                .is_err()
        );
        w.take("d", 1, MINUTE, "x", t0 + Duration::from_secs(4))
            .unwrap();
        assert_eq!(w.len(), 3);
        assert!(
            w.check("a", 1, t0 + Duration::from_secs(4)).is_err(),
            "a is still locked"
        );
        assert!(
            w.check("c", 1, t0 + Duration::from_secs(4)).is_err(),
            "c is still locked"
        );
        assert_eq!(
            w.check("b", 1, t0 + Duration::from_secs(4)),
            Ok(()),
            "only b was forgotten"
        );
    }

    #[test]
    fn expired_windows_make_room_before_live_ones() {
        let mut w = Windows::new(2);
        let t0 = Instant::now();
        w.take("old", 1, Duration::from_secs(1), "x", t0).unwrap();
        w.take("live", 1, MINUTE, "x", t0).unwrap();
        let later = t0 + Duration::from_secs(5);
        w.take("new", 1, MINUTE, "x", later).unwrap();
        assert!(
            w.check("live", 1, later).is_err(),
            "the live window is kept"
        );
    }
}
