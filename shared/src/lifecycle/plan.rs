//! What auto-renew will do next, and when: one plan that both the machine's `Tick` and the
//! session panel's sentence are derived from, so the panel never promises something else.

use super::{
    FMC_MAX_REFRESHES, LoginPurpose, MAX_TOKEN_TIMEOUT_SECS, Phase, RenewalCall, RenewalStrategy,
    Session,
};
use crate::lease::format_countdown;
use crate::wire::DeviceKind;

const MICROS: i64 = 1_000_000;

/// The next renewal step the session will take on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedStep {
    /// PATCH the token's `timeout` to this many seconds (counted from its issue).
    Extend { timeout_secs: u64 },
    /// Log in again with the in-memory credentials (and delete the old token on BIG-IP).
    Relogin,
    /// BIG-IQ: exchange the refresh token.
    Exchange,
    /// FMC: refresh the pair; `number` counts from 1 to [`FMC_MAX_REFRESHES`].
    Refresh { number: u8 },
    /// Nothing can renew the token; at `at_micros` it expires and the password is asked for.
    Expire { why: String },
}

/// A step and the instant (epoch microseconds) it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalPlan {
    pub at_micros: i64,
    pub step: PlannedStep,
}

impl Session {
    /// What auto-renew will do next, if the session is active.
    pub fn plan(&self) -> Option<RenewalPlan> {
        if self.phase != Phase::Active {
            return None;
        }
        let lease = self.access.as_ref()?;
        let margin = self.margin_secs() as i64 * MICROS;
        let mut at = lease.expires_at_micros.saturating_sub(margin);
        if let Some(retry) = self.retry_at_micros {
            at = at.max(retry);
        }
        let preferred = self.settings.strategy_for(self.kind);
        let order = [
            preferred,
            RenewalStrategy::default_for(self.kind),
            RenewalStrategy::Relogin,
        ];
        if let Some(step) = order.into_iter().find_map(|s| self.viable(s, at)) {
            return Some(RenewalPlan {
                at_micros: at,
                step,
            });
        }
        let why = format!(
            "{} and {}",
            self.default_strategy_blocker(),
            self.relogin_blocker()
        );
        Some(RenewalPlan {
            at_micros: lease.expires_at_micros,
            step: PlannedStep::Expire { why },
        })
    }

    /// The step `strategy` would take at `at`, if it can.
    fn viable(&self, strategy: RenewalStrategy, at: i64) -> Option<PlannedStep> {
        if !strategy.supported_by(self.kind) {
            return None;
        }
        match strategy {
            RenewalStrategy::Extend => self
                .extension_at(at)
                .map(|timeout_secs| PlannedStep::Extend { timeout_secs }),
            RenewalStrategy::Relogin => self.can_relogin().then_some(PlannedStep::Relogin),
            RenewalStrategy::ExchangeRefreshToken => self
                .refresh
                .as_ref()
                .filter(|r| r.expires_at_micros > at)
                .map(|_| PlannedStep::Exchange),
            RenewalStrategy::RefreshTokens => (self.refresh.is_some()
                && self.refreshes_used < FMC_MAX_REFRESHES)
                .then_some(PlannedStep::Refresh {
                    number: self.refreshes_used + 1,
                }),
        }
    }

    /// The `timeout` to PATCH at `at` so the token lives another granted lifetime, assuming the
    /// device counts `timeout` from the token's issue (and capped at 36000 s); `None` when the
    /// cap leaves no more than the margin, i.e. extending would not help.
    pub(super) fn extension_at(&self, at: i64) -> Option<u64> {
        if self.kind != DeviceKind::Bigip || self.extend_exhausted {
            return None;
        }
        let age_micros = at.saturating_sub(self.issued_at_micros).max(0);
        let age = ((age_micros + MICROS - 1) / MICROS) as u64;
        let timeout = age
            .saturating_add(self.granted_secs)
            .min(MAX_TOKEN_TIMEOUT_SECS);
        (timeout.saturating_sub(age) > self.margin_secs()).then_some(timeout)
    }

    fn default_strategy_blocker(&self) -> &'static str {
        match self.kind {
            DeviceKind::Bigip if self.extend_exhausted => "the device refuses a longer timeout",
            DeviceKind::Bigip => "the token is at the 10-hour limit",
            DeviceKind::Bigiq => "the refresh token has expired",
            DeviceKind::Fmc => "all 3 refreshes are used",
        }
    }

    fn relogin_blocker(&self) -> &'static str {
        if self.settings.stay_signed_in {
            "the password is not in memory"
        } else {
            "\"stay signed in\" is off"
        }
    }
}

/// When auto-renew will act next (epoch microseconds); `None` when it will not (signed out,
/// busy, or nothing can renew the token).
pub fn next_renewal_at(session: &Session) -> Option<i64> {
    session
        .plan()
        .filter(|p| !matches!(p.step, PlannedStep::Expire { .. }))
        .map(|p| p.at_micros)
}

/// `14:05:10`: an instant as a wall clock shows it, `utc_offset_minutes` east of UTC
/// (JavaScript's `-Date.prototype.getTimezoneOffset()`).
pub fn format_clock(micros: i64, utc_offset_minutes: i32) -> String {
    let secs = micros.div_euclid(MICROS) + i64::from(utc_offset_minutes) * 60;
    let day = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", day / 3600, (day % 3600) / 60, day % 60)
}

/// What auto-renew will do and when, for the session panel, e.g.
/// "Will extend the token to 2280 s at 14:05:10 (in 3:20)".
pub fn describe_renewal(session: &Session, now_micros: i64, utc_offset_minutes: i32) -> String {
    let when = |at: i64| {
        let left = at.saturating_sub(now_micros);
        if left <= 0 {
            "now".to_string()
        } else {
            let secs = ((left + MICROS - 1) / MICROS) as u64;
            format!(
                "at {} (in {})",
                format_clock(at, utc_offset_minutes),
                format_countdown(secs)
            )
        }
    };
    match &session.phase {
        Phase::SignedOut => "Not signed in.".into(),
        Phase::LoggingIn(LoginPurpose::SignIn) => "Signing in…".into(),
        Phase::LoggingIn(LoginPurpose::Renew { .. }) => {
            "Logging in again to replace the token…".into()
        }
        Phase::LoggingIn(LoginPurpose::Recover) => match session.waiting.len() {
            0 => "The token is no longer valid; logging in again…".into(),
            n => format!(
                "The token is no longer valid; logging in again to retry {n} request{}…",
                if n == 1 { "" } else { "s" }
            ),
        },
        Phase::Renewing(RenewalCall::Extend) => "Extending the token…".into(),
        Phase::Renewing(RenewalCall::Exchange) => "Exchanging the refresh token…".into(),
        Phase::Renewing(RenewalCall::Refresh) => "Refreshing the tokens…".into(),
        Phase::NeedsPassword(reason) => reason.explain(),
        Phase::Active => {
            let Some(plan) = session.plan() else {
                return "No token.".into();
            };
            let at = plan.at_micros;
            let sentence = match plan.step {
                PlannedStep::Extend { timeout_secs } => {
                    format!("Will extend the token to {timeout_secs} s {}", when(at))
                }
                PlannedStep::Relogin if session.kind == DeviceKind::Bigip => {
                    format!("Will log in again {} and delete this token", when(at))
                }
                PlannedStep::Relogin => format!("Will log in again {}", when(at)),
                PlannedStep::Exchange => format!(
                    "Will exchange the refresh token for a new access token {}",
                    when(at)
                ),
                PlannedStep::Refresh { number } => format!(
                    "Will refresh the tokens {} (refresh {number} of {FMC_MAX_REFRESHES})",
                    when(at)
                ),
                PlannedStep::Expire { why } => format!(
                    "Auto-renew cannot continue: {why}. The token expires {}; then you will be asked for the password",
                    when(at)
                ),
            };
            match &session.last_failure {
                Some(failure) => format!("Last renewal failed ({failure}). {sentence}."),
                None => format!("{sentence}."),
            }
        }
    }
}
