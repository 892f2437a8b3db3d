//! What a kind of device allows, handed to the machine as data ([`RenewalRules`]), and what the
//! user prefers ([`RenewalSettings`]). The machine reads these; it never names a vendor.

use serde::{Deserialize, Serialize};

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

/// A device's rate limit, for pacing the console's own calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per sliding minute per user.
    pub per_minute: u32,
    /// Connections (calls in flight) at once.
    pub concurrent: u32,
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
    /// The device's own rate limit, if the console must pace its calls.
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

impl RenewalSettings {
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
