//! What a kind of device allows, handed to the machine as data ([`RenewalRules`]), and what the
//! user prefers ([`RenewalSettings`]). The machine reads these; it never names a vendor.

use serde::{Deserialize, Serialize};

pub use crate::wire::budget::RateLimit;

/// How a token is renewed before it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalStrategy {
    /// Raise the token's own timeout on the device (BIG-IP `PATCH …/tokens/<T>`), up to the
    /// kind's maximum. Creates no new token and needs no password.
    Extend,
    /// Log in again with the in-memory credentials, then end the old session. Needs the
    /// password in memory ("stay signed in").
    Relogin,
    /// Exchange a long-lived refresh token for a new access token (BIG-IQ); the refresh token
    /// keeps its own end.
    #[serde(rename = "exchange_refresh_token")]
    Exchange,
    /// Trade both tokens for a new pair, a limited number of times per login (FMC).
    #[serde(rename = "refresh_tokens")]
    Refresh,
}

impl RenewalStrategy {
    /// Short label for a settings form.
    pub fn label(self) -> &'static str {
        match self {
            RenewalStrategy::Extend => "Extend the token (raise its timeout)",
            RenewalStrategy::Relogin => "Log in again and end the old session",
            RenewalStrategy::Exchange => "Exchange the refresh token",
            RenewalStrategy::Refresh => "Refresh the token pair",
        }
    }
}

/// What a kind of device allows, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalRules {
    /// Strategies the device offers besides logging in again, its default first (may be empty).
    pub strategies: &'static [RenewalStrategy],
    /// Longest timeout [`RenewalStrategy::Extend`] may ask for, in seconds.
    pub max_timeout_secs: u64,
    /// How many [`RenewalStrategy::Refresh`] calls one login allows.
    pub max_refreshes: u8,
    /// Whether a login also returns a refresh token.
    pub refresh_token: bool,
    /// After renewing by logging in again, end the replaced session on the device (tokens
    /// there count toward a limit, or stay valid for hours). `false` where a new login ends the
    /// older session by itself.
    pub end_replaced_session: bool,
    /// A token refused while it still had life means another login by the same user ended this
    /// session (FMC): ask the user instead of logging in again on its own, so two clients never
    /// take the session from each other in a loop.
    pub rejection_means_takeover: bool,
    /// A refused access token is first renewed with the refresh token, then replayed (BIG-IQ's
    /// "Invalid registered claims").
    pub recover_by_exchange: bool,
    /// The device's own rate limit, if it has one (the relay's default budget stays under it).
    pub rate_limit: Option<RateLimit>,
}

impl RenewalRules {
    /// The device's own renewal strategy, if it has one.
    pub fn default_strategy(&self) -> RenewalStrategy {
        self.strategies
            .first()
            .copied()
            .unwrap_or(RenewalStrategy::Relogin)
    }

    /// Whether the device offers `strategy` (logging in again always works, given the password).
    pub fn supports(&self, strategy: RenewalStrategy) -> bool {
        strategy == RenewalStrategy::Relogin || self.strategies.contains(&strategy)
    }

    /// The strategies a settings form should offer: the device's own, then logging in again.
    pub fn choices(&self) -> Vec<RenewalStrategy> {
        let mut choices = self.strategies.to_vec();
        if !choices.contains(&RenewalStrategy::Relogin) {
            choices.push(RenewalStrategy::Relogin);
        }
        choices
    }
}

/// The user's renewal preferences (safe to keep in local storage: no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenewalSettings {
    /// Renew this many seconds before expiry; `None` means [`auto_margin_secs`].
    pub margin_secs: Option<u64>,
    /// Preferred strategy; `None` (or one the device lacks) means the device's default.
    pub strategy: Option<RenewalStrategy>,
    /// Whether the password may stay in memory to log in again automatically.
    pub stay_signed_in: bool,
}

impl Default for RenewalSettings {
    fn default() -> Self {
        Self {
            margin_secs: None,
            strategy: None,
            stay_signed_in: true,
        }
    }
}

/// The smallest renewal margin a user may set: a renewal started later might not finish
/// before the token ends.
pub const MIN_MARGIN_SECS: u64 = 10;

/// Why a typed margin was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The margin is a whole number of seconds, at least {MIN_MARGIN_SECS} (or empty for automatic)."
)]
pub struct MarginError;

impl RenewalSettings {
    /// The margin a user typed: empty means automatic (`None`).
    pub fn parse_margin(text: &str) -> Result<Option<u64>, MarginError> {
        match text.trim() {
            "" => Ok(None),
            t => match t.parse::<u64>() {
                Ok(n) if n >= MIN_MARGIN_SECS => Ok(Some(n)),
                _ => Err(MarginError),
            },
        }
    }

    /// These settings with what the settings form would refuse replaced by the automatic
    /// choice: what a browser kept from an older console, or hand-edited, is used only if it
    /// is valid.
    pub fn checked(self) -> Self {
        Self {
            margin_secs: self.margin_secs.filter(|m| *m >= MIN_MARGIN_SECS),
            ..self
        }
    }

    /// The strategy actually preferred on a device with these rules.
    pub fn strategy_for(&self, rules: &RenewalRules) -> RenewalStrategy {
        self.strategy
            .filter(|s| rules.supports(*s))
            .unwrap_or_else(|| rules.default_strategy())
    }

    /// The margin actually used for a token granted `lifetime_secs`: the user's value or the
    /// automatic one, never more than half the lifetime (so renewals cannot run back to back).
    pub fn effective_margin_secs(&self, lifetime_secs: u64) -> u64 {
        self.margin_secs
            .unwrap_or_else(|| auto_margin_secs(lifetime_secs))
            .min(lifetime_secs / 2)
    }
}

/// The default renewal margin: a tenth of the lifetime, at least 90 s and at most 5 minutes
/// (and at most half the lifetime). 120 s for BIG-IP's 1200-s tokens, 90 s for BIG-IQ's 300-s
/// access tokens, 180 s for FMC's 30-minute tokens.
///
/// Why at least 90 s: browsers run timers in hidden tabs only about once a minute, so a tick
/// can come up to 60 s late, and the renewal call itself needs time. Why at most 5 minutes:
/// renewing earlier buys nothing and, for logins, shortens the old token's useful life.
pub fn auto_margin_secs(lifetime_secs: u64) -> u64 {
    (lifetime_secs / 10).clamp(90, 300).min(lifetime_secs / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_margin_is_empty_or_at_least_the_minimum() {
        assert_eq!(RenewalSettings::parse_margin(" "), Ok(None));
        assert_eq!(RenewalSettings::parse_margin(" 120 "), Ok(Some(120)));
        assert_eq!(RenewalSettings::parse_margin("10"), Ok(Some(10)));
        for bad in ["9", "0", "-5", "1.5", "two"] {
            assert_eq!(
                RenewalSettings::parse_margin(bad),
                Err(MarginError),
                "{bad}"
            );
        }
        assert!(MarginError.to_string().contains("at least 10"));
    }

    #[test]
    fn kept_settings_lose_a_margin_the_form_would_refuse() {
        let kept = RenewalSettings {
            margin_secs: Some(3),
            strategy: Some(RenewalStrategy::Relogin),
            stay_signed_in: false,
        };
        let checked = kept.clone().checked();
        assert_eq!(checked.margin_secs, None);
        assert_eq!(checked.strategy, kept.strategy);
        assert!(!checked.stay_signed_in);
        let fine = RenewalSettings {
            margin_secs: Some(60),
            ..RenewalSettings::default()
        };
        assert_eq!(fine.clone().checked(), fine);
    }
}
