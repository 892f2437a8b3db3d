//! A device's rate budget: the one rule the relay admits calls by and the console paces its own
//! calls by, so the console never runs into the relay's `429 device_budget` in normal use.
//!
//! The relay stays a little under the device's own limit ([`DEVICE_MARGIN`]: it cannot see the
//! one resend a `GET` may get, or other clients of the device) and keeps part of that for token
//! calls ([`TOKEN_RESERVE`]), so a sign-in or a renewal is never stuck behind pages. It counts per
//! device, across users and replicas, over a [`WINDOW_SECS`] sliding window. The console counts
//! the same calls a little earlier (when it sends them, before the relay admits them), so it
//! paces itself over a slightly longer window and one call at once fewer
//! ([`RateBudget::client_allowance`]). The relay advertises each device's budget in its
//! inventory, operators' settings included.

use serde::{Deserialize, Serialize};

/// A device's own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests per sliding minute (the FMC counts per client address: behind the relay,
    /// every user of the relay together).
    pub per_minute: u32,
    /// Connections (calls in flight) at once.
    pub concurrent: u32,
}

/// How urgent a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Logins, renewals and logouts: first in line, may use the reserve.
    Token,
    /// Everything else.
    Ordinary,
}

/// The relay's sliding window.
pub const WINDOW_SECS: u64 = 60;
/// How much longer the console's window is than the relay's: the relay counts a call when it
/// admits it, after the network and its own guards.
pub const CLIENT_WINDOW_SLACK_SECS: u64 = 1;
/// How far under a device's own limit the relay's default budget stays.
pub const DEVICE_MARGIN: RateLimit = RateLimit {
    per_minute: 5,
    concurrent: 1,
};
/// What the relay keeps of its budget for token calls.
pub const TOKEN_RESERVE: RateLimit = RateLimit {
    per_minute: 5,
    concurrent: 1,
};

/// Calls a minute and at once; `None`: no limit on that count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowance {
    pub per_minute: Option<u32>,
    pub concurrent: Option<u32>,
}

impl Allowance {
    pub fn is_none(&self) -> bool {
        self.per_minute.is_none() && self.concurrent.is_none()
    }
}

/// The relay's budget for one device: `total` for token calls, `total − reserve` (at least 1)
/// for every other call. On the wire, as one word: `"115/9"` (requests a minute / calls at
/// once, `-` for no limit; the reserve is always [`TOKEN_RESERVE`]). The console reads it with
/// every device, and a derived `Deserialize` would be three copies of serde's struct machinery
/// in its wasm (about 1.6 KB on the wire) where a string costs nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RateBudget {
    pub total: Allowance,
    pub reserve: RateLimit,
}

impl TryFrom<String> for RateBudget {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let count = |word: &str| {
            match word.trim() {
            "-" => Ok(None),
            n => n.parse::<u32>().map(Some).map_err(|_| {
                format!("a budget is requests a minute/calls at once (`115/9`, `-` for none), not {text:?}")
            }),
        }
        };
        let (per_minute, concurrent) = text.split_once('/').unwrap_or((&text, "-"));
        Ok(Self {
            total: Allowance {
                per_minute: count(per_minute)?,
                concurrent: count(concurrent)?,
            },
            reserve: TOKEN_RESERVE,
        })
    }
}

impl From<RateBudget> for String {
    fn from(budget: RateBudget) -> Self {
        let word = |n: Option<u32>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        format!(
            "{}/{}",
            word(budget.total.per_minute),
            word(budget.total.concurrent)
        )
    }
}

impl Default for RateBudget {
    fn default() -> Self {
        Self::NONE
    }
}

impl RateBudget {
    /// No budget: the relay holds nothing back.
    pub const NONE: Self = Self {
        total: Allowance {
            per_minute: None,
            concurrent: None,
        },
        reserve: TOKEN_RESERVE,
    };

    /// The default under a device's own limit: 120 a minute and 10 at once → 115 and 9, of
    /// which 5 and 1 are kept for token calls.
    pub const fn under(limit: RateLimit) -> Self {
        let per_minute = limit.per_minute.saturating_sub(DEVICE_MARGIN.per_minute);
        let concurrent = limit.concurrent.saturating_sub(DEVICE_MARGIN.concurrent);
        Self {
            total: Allowance {
                per_minute: Some(if per_minute == 0 { 1 } else { per_minute }),
                concurrent: Some(if concurrent == 0 { 1 } else { concurrent }),
            },
            reserve: TOKEN_RESERVE,
        }
    }

    /// The default for a device with this limit (none without one).
    pub fn for_limit(limit: Option<RateLimit>) -> Self {
        limit.map_or(Self::NONE, Self::under)
    }

    /// The operator's setting over this budget: `Some(0)` turns that count off, `Some(n)` sets
    /// it, `None` keeps it.
    pub fn with(self, per_minute: Option<u32>, concurrent: Option<u32>) -> Self {
        let set = |kept: Option<u32>, setting: Option<u32>| match setting {
            Some(0) => None,
            Some(n) => Some(n),
            None => kept,
        };
        Self {
            total: Allowance {
                per_minute: set(self.total.per_minute, per_minute),
                concurrent: set(self.total.concurrent, concurrent),
            },
            reserve: self.reserve,
        }
    }

    pub fn is_none(&self) -> bool {
        self.total.is_none()
    }

    /// What the relay admits of calls of `priority`.
    pub fn allowance(&self, priority: Priority) -> Allowance {
        match priority {
            Priority::Token => self.total,
            Priority::Ordinary => Allowance {
                per_minute: self
                    .total
                    .per_minute
                    .map(|n| n.saturating_sub(self.reserve.per_minute).max(1)),
                concurrent: self
                    .total
                    .concurrent
                    .map(|n| n.saturating_sub(self.reserve.concurrent).max(1)),
            },
        }
    }

    /// What a client pacing its calls under this budget allows itself: one call at once fewer
    /// than the relay (the relay may free a slot a moment after the client saw the reply), over
    /// [`RateBudget::client_window_micros`].
    pub fn client_allowance(&self, priority: Priority) -> Allowance {
        let allowance = self.allowance(priority);
        Allowance {
            concurrent: allowance.concurrent.map(|n| n.saturating_sub(1).max(1)),
            ..allowance
        }
    }

    /// The window a client counts its calls in, in microseconds.
    pub const fn client_window_micros() -> i64 {
        ((WINDOW_SECS + CLIENT_WINDOW_SLACK_SECS) * 1_000_000) as i64
    }

    /// "115 requests a minute (5 kept for sign-ins and renewals), 9 calls at once (1 kept)";
    /// "no limit" without one.
    pub fn describe(&self) -> String {
        let counted =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if let Some(n) = self.total.per_minute {
            let kept = self.reserve.per_minute.min(n.saturating_sub(1));
            let count = counted(n, "request a minute", "requests a minute");
            parts.push(if kept > 0 {
                format!("{count} ({kept} kept for sign-ins and renewals)")
            } else {
                count
            });
        }
        if let Some(n) = self.total.concurrent {
            let kept = self.reserve.concurrent.min(n.saturating_sub(1));
            let count = counted(n, "call at once", "calls at once");
            parts.push(if kept > 0 {
                format!("{count} ({kept} kept)")
            } else {
                count
            });
        }
        if parts.is_empty() {
            "no limit".into()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FMC: RateLimit = RateLimit {
        per_minute: 120,
        concurrent: 10,
    };

    fn allow(per_minute: Option<u32>, concurrent: Option<u32>) -> Allowance {
        Allowance {
            per_minute,
            concurrent,
        }
    }

    #[test]
    fn the_relay_stays_under_the_device_and_keeps_a_reserve_for_token_calls() {
        let budget = RateBudget::under(FMC);
        assert_eq!(budget.allowance(Priority::Token), allow(Some(115), Some(9)));
        assert_eq!(
            budget.allowance(Priority::Ordinary),
            allow(Some(110), Some(8))
        );
        assert_eq!(
            budget.describe(),
            "115 requests a minute (5 kept for sign-ins and renewals), 9 calls at once (1 kept)"
        );
        assert_eq!(RateBudget::for_limit(None), RateBudget::NONE);
        assert_eq!(RateBudget::NONE.describe(), "no limit");
    }

    #[test]
    fn the_console_stays_under_what_the_relay_admits() {
        for budget in [
            RateBudget::under(FMC),
            RateBudget::under(RateLimit {
                per_minute: 7,
                concurrent: 2,
            }),
            RateBudget::NONE.with(Some(60), Some(1)),
        ] {
            for priority in [Priority::Token, Priority::Ordinary] {
                let relay = budget.allowance(priority);
                let client = budget.client_allowance(priority);
                assert!(client.per_minute <= relay.per_minute, "{budget:?}");
                assert!(client.concurrent <= relay.concurrent, "{budget:?}");
            }
        }
        assert!(RateBudget::client_window_micros() > WINDOW_SECS as i64 * 1_000_000);
    }

    #[test]
    fn small_and_overridden_budgets_never_fall_to_zero() {
        let tiny = RateBudget::under(RateLimit {
            per_minute: 3,
            concurrent: 1,
        });
        assert_eq!(tiny.allowance(Priority::Token), allow(Some(1), Some(1)));
        assert_eq!(tiny.allowance(Priority::Ordinary), allow(Some(1), Some(1)));
        assert_eq!(tiny.describe(), "1 request a minute, 1 call at once");
        let set = RateBudget::under(FMC).with(Some(60), Some(0));
        assert_eq!(set.allowance(Priority::Token), allow(Some(60), None));
        assert_eq!(set.allowance(Priority::Ordinary), allow(Some(55), None));
        let off = RateBudget::under(FMC).with(Some(0), Some(0));
        assert!(off.is_none());
        let kept = RateBudget::under(FMC).with(None, None);
        assert_eq!(kept, RateBudget::under(FMC));
        let bigip = RateBudget::NONE.with(None, Some(4));
        assert_eq!(bigip.allowance(Priority::Ordinary), allow(None, Some(3)));
    }

    #[test]
    fn a_budget_reads_back_from_the_wire() {
        for budget in [
            RateBudget::under(FMC),
            RateBudget::NONE,
            RateBudget::NONE.with(None, Some(4)),
            RateBudget::under(FMC).with(Some(0), None),
        ] {
            let json = serde_json::to_string(&budget).unwrap();
            assert_eq!(serde_json::from_str::<RateBudget>(&json).unwrap(), budget);
        }
        assert_eq!(
            serde_json::to_string(&RateBudget::under(FMC)).unwrap(),
            r#""115/9""#
        );
        assert_eq!(
            serde_json::to_string(&RateBudget::NONE).unwrap(),
            r#""-/-""#
        );
        let err = serde_json::from_str::<RateBudget>(r#""lots/9""#).unwrap_err();
        assert!(
            err.to_string().contains("requests a minute/calls at once"),
            "{err}"
        );
    }
}
