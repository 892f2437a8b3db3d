//! Pacing the console's own calls to a device with a rate budget (the relay's, as it advertises
//! it: `crate::wire::budget`), so neither the relay nor the device has to refuse one: calls beyond
//! the budget queue in order, token calls jump the queue (and may use the reserve the relay
//! keeps for them), and after a 429 everything waits until the device or the relay said to retry
//! (its `Retry-After`, or until the oldest call leaves the window).
//!
//! Pure: the shell enqueues tickets, asks which may start ([`Pacer::start_ready`]), reports when
//! each finishes, and sets a timer for [`Pacer::next_slot`]. Times are browser microseconds.

use std::collections::VecDeque;

pub use crate::wire::budget::Priority;
use crate::wire::budget::{Allowance, RateBudget};

const MICROS: i64 = 1_000_000;

/// One device's budget as the console spends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    budget: RateBudget,
    /// When each call of the last window started.
    sent: VecDeque<i64>,
    in_flight: u32,
    queue: VecDeque<(u64, Priority)>,
    /// After a 429: nothing starts before this.
    hold_until: Option<i64>,
}

impl Pacer {
    pub fn new(budget: RateBudget) -> Self {
        Self {
            budget,
            sent: VecDeque::new(),
            in_flight: 0,
            queue: VecDeque::new(),
            hold_until: None,
        }
    }

    /// The window calls are counted in.
    pub fn window_micros() -> i64 {
        RateBudget::client_window_micros()
    }

    /// What this console allows itself of calls of `priority`.
    pub fn allowance(&self, priority: Priority) -> Allowance {
        self.budget.client_allowance(priority)
    }

    /// Calls of `priority` that could still start in the current window (`None`: no limit).
    pub fn room(&self, now: i64, priority: Priority) -> Option<u32> {
        let per_minute = self.allowance(priority).per_minute?;
        let recent = self.recent(now).count() as u32;
        Some(per_minute.saturating_sub(recent))
    }

    /// Put a call in line (token calls before every ordinary one).
    pub fn enqueue(&mut self, ticket: u64, priority: Priority) {
        let at = match priority {
            Priority::Token => self
                .queue
                .iter()
                .position(|(_, p)| *p == Priority::Ordinary)
                .unwrap_or(self.queue.len()),
            Priority::Ordinary => self.queue.len(),
        };
        self.queue.insert(at, (ticket, priority));
    }

    /// Take a call out of line (it was abandoned).
    pub fn cancel(&mut self, ticket: u64) {
        self.queue.retain(|(t, _)| *t != ticket);
    }

    /// Whether this ticket is still waiting.
    pub fn is_queued(&self, ticket: u64) -> bool {
        self.queue.iter().any(|(t, _)| *t == ticket)
    }

    /// Position in line, from 0.
    pub fn position(&self, ticket: u64) -> Option<usize> {
        self.queue.iter().position(|(t, _)| *t == ticket)
    }

    /// Calls started within the window ending at `now`.
    fn recent(&self, now: i64) -> impl Iterator<Item = i64> + '_ {
        let window = Self::window_micros();
        self.sent.iter().copied().filter(move |t| *t > now - window)
    }

    fn forget_old(&mut self, now: i64) {
        let window = Self::window_micros();
        while self.sent.front().is_some_and(|t| *t <= now - window) {
            self.sent.pop_front();
        }
        if self.hold_until.is_some_and(|t| t <= now) {
            self.hold_until = None;
        }
    }

    fn room_for(&self, priority: Priority) -> bool {
        let allowance = self.allowance(priority);
        allowance
            .per_minute
            .is_none_or(|n| (self.sent.len() as u32) < n)
            && allowance.concurrent.is_none_or(|n| self.in_flight < n)
    }

    /// The tickets that may start now, in order; each is counted as sent and in flight.
    pub fn start_ready(&mut self, now: i64) -> Vec<u64> {
        self.forget_old(now);
        let mut ready = Vec::new();
        if self.hold_until.is_some() {
            return ready;
        }
        while let Some(&(ticket, priority)) = self.queue.front() {
            if !self.room_for(priority) {
                break;
            }
            self.queue.pop_front();
            self.sent.push_back(now);
            self.in_flight += 1;
            ready.push(ticket);
        }
        ready
    }

    /// When the first call in line can start, if one waits (for "next slot in 7 s" and the
    /// shell's timer). `None` also when it waits only for a call in flight to finish.
    pub fn next_slot(&self, now: i64) -> Option<i64> {
        let &(_, priority) = self.queue.front()?;
        if let Some(hold) = self.hold_until.filter(|t| *t > now) {
            return Some(hold);
        }
        let Some(per_minute) = self.allowance(priority).per_minute else {
            return Some(now);
        };
        let recent: Vec<i64> = self.recent(now).collect();
        let per_minute = per_minute as usize;
        if recent.len() < per_minute {
            return Some(now);
        }
        // The slot frees when enough of the oldest calls leave the window.
        Some(recent[recent.len() - per_minute] + Self::window_micros())
    }

    /// A call finished. `rate_limited`: the device (or the relay on its behalf) answered 429,
    /// with its `Retry-After` seconds if it sent one; everything then waits.
    pub fn finished(&mut self, now: i64, rate_limited: Option<Option<u64>>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(retry_after) = rate_limited {
            let until = match retry_after {
                Some(secs) => now + secs.max(1) as i64 * MICROS,
                // Until the window frees: the oldest call leaves it.
                None => self
                    .sent
                    .front()
                    .map(|t| t + Self::window_micros())
                    .filter(|t| *t > now)
                    .unwrap_or(now + MICROS),
            };
            self.hold_until = Some(self.hold_until.map_or(until, |h| h.max(until)));
        }
    }

    /// Until when everything waits after a 429, if it does.
    pub fn held_until(&self, now: i64) -> Option<i64> {
        self.hold_until.filter(|t| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::wire::budget::RateLimit;

    const T0: i64 = 1_700_000_000_000_000;
    /// An FMC's default budget at the relay: 115 a minute and 9 at once, 5 and 1 kept for
    /// token calls.
    const FMC: RateBudget = RateBudget::under(RateLimit {
        per_minute: 120,
        concurrent: 10,
    });
    const WINDOW_MICROS: i64 = 61 * MICROS;

    fn run_all(pacer: &mut Pacer, tickets: std::ops::Range<u64>, now: i64) -> Vec<u64> {
        let mut started = Vec::new();
        for t in tickets {
            pacer.enqueue(t, Priority::Ordinary);
            for s in pacer.start_ready(now) {
                started.push(s);
                pacer.finished(now, None);
            }
        }
        started
    }

    #[test]
    fn ordinary_calls_stay_under_the_minute_budget_with_a_reserve() {
        let mut pacer = Pacer::new(FMC);
        let started = run_all(&mut pacer, 0..200, T0);
        assert_eq!(
            started.len(),
            110,
            "the relay's 115 a minute minus its token reserve"
        );
        assert_eq!(pacer.room(T0, Priority::Ordinary), Some(0));
        assert_eq!(pacer.room(T0, Priority::Token), Some(5));
        assert_eq!(pacer.next_slot(T0), Some(T0 + WINDOW_MICROS));
        // A token call still goes, ahead of the 85 waiting.
        pacer.enqueue(999, Priority::Token);
        assert_eq!(pacer.position(999), Some(0));
        assert_eq!(pacer.start_ready(T0), vec![999]);
        // A minute later the queue moves again, in order.
        let next = pacer.start_ready(T0 + WINDOW_MICROS);
        assert_eq!(next.first(), Some(&110));
    }

    #[test]
    fn at_most_seven_ordinary_calls_in_flight() {
        let mut pacer = Pacer::new(FMC);
        for t in 0..12 {
            pacer.enqueue(t, Priority::Ordinary);
        }
        // The relay admits 8 ordinary calls at once; the console keeps one more spare.
        assert_eq!(pacer.start_ready(T0).len(), 7);
        assert_eq!(
            pacer.next_slot(T0),
            Some(T0),
            "waits for a call in flight only"
        );
        pacer.enqueue(50, Priority::Token);
        assert_eq!(
            pacer.start_ready(T0),
            vec![50],
            "the eighth connection is for tokens"
        );
        pacer.finished(T0, None);
        pacer.finished(T0, None);
        assert_eq!(pacer.start_ready(T0), vec![7]);
    }

    #[test]
    fn a_429_holds_everything_until_retry_after() {
        let mut pacer = Pacer::new(FMC);
        pacer.enqueue(1, Priority::Ordinary);
        assert_eq!(pacer.start_ready(T0), vec![1]);
        pacer.finished(T0, Some(Some(7)));
        pacer.enqueue(1, Priority::Ordinary);
        pacer.enqueue(2, Priority::Token);
        assert!(pacer.start_ready(T0 + MICROS).is_empty());
        assert_eq!(pacer.next_slot(T0 + MICROS), Some(T0 + 7 * MICROS));
        assert_eq!(pacer.held_until(T0), Some(T0 + 7 * MICROS));
        assert_eq!(pacer.start_ready(T0 + 7 * MICROS), vec![2, 1]);
    }

    #[test]
    fn a_429_without_retry_after_waits_for_the_window() {
        let mut pacer = Pacer::new(FMC);
        pacer.enqueue(1, Priority::Ordinary);
        pacer.start_ready(T0);
        pacer.finished(T0 + 2 * MICROS, Some(None));
        assert_eq!(pacer.held_until(T0 + 2 * MICROS), Some(T0 + WINDOW_MICROS));
    }

    #[test]
    fn without_a_budget_nothing_waits() {
        let mut pacer = Pacer::new(RateBudget::NONE);
        let started = run_all(&mut pacer, 0..500, T0);
        assert_eq!(started.len(), 500);
        assert_eq!(pacer.room(T0, Priority::Ordinary), None);
    }

    #[test]
    fn cancelled_calls_leave_the_line() {
        let mut pacer = Pacer::new(RateBudget::NONE.with(Some(6), Some(10)));
        for t in 0..4 {
            pacer.enqueue(t, Priority::Ordinary);
        }
        pacer.cancel(0);
        assert!(!pacer.is_queued(0));
        assert_eq!(
            pacer.start_ready(T0),
            vec![1],
            "6 - 5 kept for tokens = 1 a minute"
        );
    }
}
