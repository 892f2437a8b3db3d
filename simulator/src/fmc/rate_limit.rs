//! FMC's per-user request rate limit: 120 requests in any 60-second window.

use std::collections::{HashMap, VecDeque};

use super::error::FmcError;

/// Requests per minute per user (FMC before 7.6; 7.6 allows 300).
pub const REQUESTS_PER_MINUTE: usize = 120;
const WINDOW_MICROS: i64 = 60_000_000;

/// Recent request times per user. Refused requests do not count.
#[derive(Debug, Default)]
pub struct RateLimiter {
    recent: HashMap<String, VecDeque<i64>>,
}

impl RateLimiter {
    /// Count a request by `user` at `now`, or refuse it with the seconds until a slot frees.
    pub fn admit(&mut self, user: &str, now: i64) -> Result<(), FmcError> {
        let times = self.recent.entry(user.to_owned()).or_default();
        while times.front().is_some_and(|t| *t <= now - WINDOW_MICROS) {
            times.pop_front();
        }
        if let Some(oldest) = times.front().filter(|_| times.len() >= REQUESTS_PER_MINUTE) {
            let wait = oldest + WINDOW_MICROS - now;
            return Err(FmcError::RateLimited {
                limit: REQUESTS_PER_MINUTE,
                retry_after_secs: (wait as u64).div_ceil(1_000_000).max(1),
            });
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_121st_request_in_a_minute_is_refused() {
        let mut limiter = RateLimiter::default();
        for i in 0..120 {
            limiter.admit("admin", i * 1000).unwrap();
        }
        assert!(matches!(
            limiter.admit("admin", 200_000),
            Err(FmcError::RateLimited {
                retry_after_secs: 60,
                ..
            })
        ));
        assert!(limiter.admit("foo", 200_000).is_ok(), "limits are per user");
        assert!(
            limiter.admit("admin", WINDOW_MICROS).is_ok(),
            "the oldest request left the window"
        );
    }
}
