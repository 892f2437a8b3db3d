//! A held token and how much life it has left.
//!
//! All instants are epoch microseconds on the device's clock (see [`super::clock`]): the app
//! passes its estimate of the device's "now", tests pass whatever instant they need.

use serde::{Deserialize, Serialize};

use super::token::IssuedToken;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A token the app holds, with the instant it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLease {
    pub token: String,
    /// Lifetime the device granted, in seconds.
    pub timeout_secs: u64,
    /// Epoch microseconds at which the device will reject the token.
    pub expires_at_micros: i64,
}

/// How close a lease is to expiry, for colouring the countdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Urgency {
    /// More than a fifth of the lifetime (and more than two minutes) left.
    Fresh,
    /// Getting close: shown amber.
    Soon,
    /// Under a minute (or under a tenth of the lifetime): shown red.
    Critical,
    /// The device will reject it.
    Expired,
}

impl TokenLease {
    /// A lease from a token's own `expirationMicros` (or, failing that, `timeout` counted from
    /// `now_micros`, which is what the device does when it does not say).
    pub fn new(
        token: impl Into<String>,
        timeout_secs: u64,
        expires_at_micros: Option<i64>,
        now_micros: i64,
    ) -> Self {
        let expires_at_micros = expires_at_micros.unwrap_or_else(|| {
            now_micros.saturating_add((timeout_secs as i64).saturating_mul(MICROS_PER_SECOND))
        });
        Self {
            token: token.into(),
            timeout_secs,
            expires_at_micros,
        }
    }

    /// A lease for a token just received; `device_now` is when the reply arrived, on the
    /// device's clock.
    pub fn from_issued(token: &IssuedToken, device_now: i64) -> Self {
        Self {
            token: token.token.clone(),
            timeout_secs: token.lifetime_secs,
            expires_at_micros: token.expiry(device_now),
        }
    }

    /// Whole seconds left (0 once expired), rounded up so a countdown never shows 0:00 early.
    pub fn remaining_secs(&self, now_micros: i64) -> u64 {
        let left = self.expires_at_micros.saturating_sub(now_micros);
        if left <= 0 {
            0
        } else {
            ((left + MICROS_PER_SECOND - 1) / MICROS_PER_SECOND) as u64
        }
    }

    /// How urgent the remaining lifetime is.
    pub fn urgency(&self, now_micros: i64) -> Urgency {
        self.urgency_within(now_micros, self.timeout_secs)
    }

    /// How urgent the remaining lifetime is for a token that gets `lifetime_secs` at a time
    /// (an extended token's total timeout grows, but each renewal still buys one lifetime).
    pub fn urgency_within(&self, now_micros: i64, lifetime_secs: u64) -> Urgency {
        let left = self.remaining_secs(now_micros);
        let lifetime = lifetime_secs.max(1);
        if left == 0 {
            Urgency::Expired
        } else if left <= 60.max(lifetime / 10).min(lifetime / 2) {
            Urgency::Critical
        } else if left <= 120.max(lifetime / 5).min(lifetime / 2) {
            Urgency::Soon
        } else {
            Urgency::Fresh
        }
    }

    /// The token with all but its last four characters hidden, for display.
    pub fn masked(&self) -> String {
        mask_secret(&self.token)
    }
}

/// `••••••WXYZ`: enough to tell tokens apart, not enough to use one.
pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown = if chars.len() > 8 { 4 } else { 0 };
    let hidden = chars.len().saturating_sub(shown).min(12);
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{}{}", "•".repeat(hidden), tail)
}

/// `m:ss` (or `h:mm:ss` past an hour), as a countdown shows it.
pub fn format_countdown(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A long life in hours and minutes, as a refresh token's shows: `9 h 58 min`, `29 min`,
/// `under a minute`.
pub fn format_hours_minutes(secs: u64) -> String {
    let minutes = secs / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) if secs > 0 => "under a minute".into(),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lives_read_in_hours_and_minutes() {
        assert_eq!(format_hours_minutes(36_000), "10 h 00 min");
        assert_eq!(format_hours_minutes(35_880), "9 h 58 min");
        assert_eq!(format_hours_minutes(1_799), "29 min");
        assert_eq!(format_hours_minutes(59), "under a minute");
        assert_eq!(format_hours_minutes(0), "0 min");
    }

    const T0: i64 = 1_588_198_729_470_534;

    fn lease() -> TokenLease {
        TokenLease::new(
            "DCECRMQ66WOSPTSGPR7OAGG5SI",
            1200,
            Some(T0 + 1200 * 1_000_000),
            T0,
        )
    }

    #[test]
    fn counts_down_from_expiration_micros() {
        assert_eq!(lease().remaining_secs(T0), 1200);
        assert_eq!(lease().remaining_secs(T0 + 1), 1200, "rounds up");
        assert_eq!(lease().remaining_secs(T0 + 1_000_000), 1199);
        assert_eq!(lease().remaining_secs(T0 + 1200 * 1_000_000), 0);
        assert_eq!(lease().remaining_secs(T0 + 5000 * 1_000_000), 0);
    }

    #[test]
    fn follows_the_devices_own_expiry() {
        let token = IssuedToken::new("T", 1200)
            .issued_at(Some(T0 - 100_000_000))
            .expires_at(Some(T0 + 1_100_000_000));
        let lease = TokenLease::from_issued(&token, T0);
        assert_eq!(lease.remaining_secs(T0), 1100);
        let jwt = IssuedToken::new("J", 300).issued_at(Some(T0));
        assert_eq!(
            TokenLease::from_issued(&jwt, T0 + 1).remaining_secs(T0),
            300
        );
        let opaque = IssuedToken::new("F", 1800);
        assert_eq!(
            TokenLease::from_issued(&opaque, T0).remaining_secs(T0),
            1800
        );
    }

    #[test]
    fn falls_back_to_timeout_from_now() {
        let lease = TokenLease::new("X", 300, None, T0);
        assert_eq!(lease.expires_at_micros, T0 + 300 * 1_000_000);
    }

    #[test]
    fn urgency_table_for_a_20_minute_token() {
        let s = 1_000_000;
        let cases = [
            (0, Urgency::Fresh),
            (1200 - 241, Urgency::Fresh),
            (1200 - 240, Urgency::Soon),
            (1200 - 121, Urgency::Soon),
            (1200 - 120, Urgency::Critical),
            (1199, Urgency::Critical),
            (1200, Urgency::Expired),
        ];
        for (elapsed, want) in cases {
            assert_eq!(lease().urgency(T0 + elapsed * s), want, "after {elapsed}s");
        }
    }

    #[test]
    fn urgency_for_a_five_minute_bigiq_token() {
        let lease = TokenLease::new("J", 300, None, T0);
        assert_eq!(lease.urgency(T0), Urgency::Fresh);
        assert_eq!(lease.urgency(T0 + 181 * 1_000_000), Urgency::Soon);
        assert_eq!(lease.urgency(T0 + 241 * 1_000_000), Urgency::Critical);
    }

    #[test]
    fn masks_all_but_the_tail() {
        assert_eq!(lease().masked(), "••••••••••••G5SI");
        assert_eq!(mask_secret("short"), "•••••");
    }

    #[test]
    fn formats_countdowns() {
        assert_eq!(format_countdown(1200), "20:00");
        assert_eq!(format_countdown(59), "0:59");
        assert_eq!(format_countdown(36000), "10:00:00");
    }
}
