//! What auto-renew will do next, and when: one plan that both the machine's `Tick` and the
//! session panel's sentence are derived from, so the panel never promises something else.
//! Instants are on the device's clock.

use super::{LoginPurpose, Phase, RenewalCall, RenewalStrategy, Session, lease::format_countdown};

const MICROS: i64 = 1_000_000;

/// The next renewal step the session will take on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedStep {
    /// Raise the token's timeout to this many seconds (counted from its issue).
    Extend { timeout_secs: u64 },
    /// Log in again with the in-memory credentials (and end the old session where needed).
    Relogin,
    /// Exchange the refresh token for a new access token.
    Exchange,
    /// Refresh the pair; `number` counts from 1 to the rules' maximum.
    Refresh { number: u8 },
    /// Nothing can renew the token: at `at_micros` (the renewal point) the password is asked
    /// for, while the token still works.
    Expire { why: String },
}

/// A step and the instant (epoch microseconds, device clock) it happens.
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
        let preferred = self.settings.strategy_for(&self.rules);
        let order = [
            preferred,
            self.rules.default_strategy(),
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
            at_micros: at.min(lease.expires_at_micros),
            step: PlannedStep::Expire { why },
        })
    }

    /// The step `strategy` would take at `at`, if it can.
    fn viable(&self, strategy: RenewalStrategy, at: i64) -> Option<PlannedStep> {
        if !self.rules.supports(strategy) {
            return None;
        }
        match strategy {
            RenewalStrategy::Extend => self
                .extension_at(at)
                .map(|timeout_secs| PlannedStep::Extend { timeout_secs }),
            RenewalStrategy::Relogin => self.can_relogin().then_some(PlannedStep::Relogin),
            RenewalStrategy::Exchange => self
                .refresh
                .as_ref()
                .filter(|r| r.expires_at_micros > at)
                .map(|_| PlannedStep::Exchange),
            RenewalStrategy::Refresh => (self.refresh.is_some()
                && self.refreshes_used < self.rules.max_refreshes)
                .then_some(PlannedStep::Refresh {
                    number: self.refreshes_used + 1,
                }),
        }
    }

    /// The timeout to ask for at `at` so the token lives another granted lifetime, assuming the
    /// device counts it from the token's issue (and capped at the rules' maximum); `None` when
    /// the cap leaves no more than the margin, i.e. extending would not help.
    pub(super) fn extension_at(&self, at: i64) -> Option<u64> {
        if !self.rules.supports(RenewalStrategy::Extend) || self.extend_exhausted {
            return None;
        }
        let age_micros = at.saturating_sub(self.issued_at_micros).max(0);
        let age = ((age_micros + MICROS - 1) / MICROS) as u64;
        let timeout = age
            .saturating_add(self.granted_secs)
            .min(self.rules.max_timeout_secs);
        (timeout.saturating_sub(age) > self.margin_secs()).then_some(timeout)
    }

    fn default_strategy_blocker(&self) -> String {
        match self.rules.default_strategy() {
            RenewalStrategy::Extend if self.extend_exhausted => {
                "the device refuses a longer timeout".into()
            }
            RenewalStrategy::Extend => format!(
                "the token is at its {}-hour limit",
                self.rules.max_timeout_secs / 3600
            ),
            RenewalStrategy::Exchange => "the refresh token has ended".into(),
            RenewalStrategy::Refresh => {
                format!("all {} refreshes are used", self.rules.max_refreshes)
            }
            RenewalStrategy::Relogin => "the device offers no other way".into(),
        }
    }

    fn relogin_blocker(&self) -> &'static str {
        if self.settings.stay_signed_in {
            "the password is not in memory"
        } else {
            "\"stay signed in\" is off"
        }
    }

    /// When (device clock) the password will be needed if nothing changes: `None` when auto-renew
    /// can go on by itself (the password is in memory, or no end is in sight).
    pub fn password_needed_at(&self) -> Option<i64> {
        if self.can_relogin() || self.phase != Phase::Active {
            return None;
        }
        let lease = self.access.as_ref()?;
        let margin = self.margin_secs() as i64 * MICROS;
        match self.plan()?.step {
            PlannedStep::Expire { .. } => Some(lease.expires_at_micros.saturating_sub(margin)),
            PlannedStep::Exchange => self
                .refresh
                .as_ref()
                .map(|r| r.expires_at_micros.saturating_sub(margin)),
            PlannedStep::Refresh { number } => {
                let left = i64::from(self.rules.max_refreshes.saturating_sub(number)) + 1;
                let each = (self.granted_secs as i64 * MICROS - margin).max(0);
                Some(lease.expires_at_micros + left * each - margin)
            }
            PlannedStep::Extend { .. } => {
                Some(self.issued_at_micros + self.rules.max_timeout_secs as i64 * MICROS - margin)
            }
            PlannedStep::Relogin => None,
        }
    }
}

/// When auto-renew will act next (device clock); `None` when it will not (signed out, busy,
/// or nothing can renew the token).
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
/// "Will extend the token to 2280 s at 14:05:10 (in 3:20)." `now_micros` and the times shown
/// are the device's clock.
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
            let expiring = matches!(plan.step, PlannedStep::Expire { .. });
            let sentence = match plan.step {
                PlannedStep::Extend { timeout_secs } => {
                    format!("Will extend the token to {timeout_secs} s {}", when(at))
                }
                PlannedStep::Relogin if session.rules.end_replaced_session => {
                    format!("Will log in again {} and end this session", when(at))
                }
                PlannedStep::Relogin => format!("Will log in again {}", when(at)),
                PlannedStep::Exchange => format!(
                    "Will exchange the refresh token for a new access token {}",
                    when(at)
                ),
                PlannedStep::Refresh { number } => format!(
                    "Will refresh the tokens {} (refresh {number} of {})",
                    when(at),
                    session.rules.max_refreshes
                ),
                PlannedStep::Expire { why } => format!(
                    "Auto-renew cannot continue: {why}. The password will be asked for {}, while the token still works",
                    when(at)
                ),
            };
            let needed = session
                .password_needed_at()
                .filter(|_| !expiring)
                .map(|t| {
                    format!(
                        "; password needed at {}",
                        format_clock(t, utc_offset_minutes)
                    )
                })
                .unwrap_or_default();
            match &session.last_failure {
                Some(failure) => format!("Last renewal failed ({failure}). {sentence}{needed}."),
                None => format!("{sentence}{needed}."),
            }
        }
    }
}
