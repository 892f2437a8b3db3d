//! The transition function: (session, now, event) → (session, actions).

use super::{
    Action, Event, LoginPurpose, PasswordReason, Phase, PlannedStep, RENEWAL_RETRY_SECS, Renewal,
    RenewalCall, RequestId, Session,
};
use crate::bigip::AuthToken;
use crate::lease::TokenLease;
use crate::wire::DeviceKind;

const MICROS: i64 = 1_000_000;

/// Whether a login's 401 message means the password itself was refused.
pub fn is_password_rejected(status: u16, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    status == 401 && (m.contains("authentication failed") || m.contains("invalid credentials"))
}

impl Session {
    /// Feed one event at `now_micros`; returns the new session and the actions to perform, in
    /// order.
    pub fn step(mut self, now_micros: i64, event: Event) -> (Session, Vec<Action>) {
        let mut out = Vec::new();
        let now = now_micros;
        match event {
            Event::Tick => self.on_tick(now, &mut out),
            Event::LoginSubmitted => self.on_login_submitted(now, &mut out),
            Event::LoginSucceeded { token, refresh } => {
                self.on_login_succeeded(now, &token, refresh.as_ref(), &mut out)
            }
            Event::LoginFailed { status, message } => {
                self.on_login_failed(now, status, message, &mut out)
            }
            Event::RenewSucceeded { token, refresh } => {
                self.on_renew_succeeded(now, &token, refresh.as_ref(), &mut out)
            }
            Event::RenewFailed { status, message } => {
                self.on_renew_failed(now, status, message, &mut out)
            }
            Event::RequestFailed401 {
                request,
                token_sent,
                message,
            } => self.on_request_401(now, request, token_sent, message, &mut out),
            Event::RequestSettled { request } => {
                self.replayed.remove(&request);
                self.abandoned.remove(&request);
                self.waiting.retain(|r| *r != request);
            }
            Event::LogoutRequested => self.on_logout(now, &mut out),
            Event::TokenChanged { token } => self.on_token_changed(now, &token),
            Event::SettingsChanged(settings) => {
                self.settings = settings;
                if !self.settings.stay_signed_in && self.credentials_held {
                    self.credentials_held = false;
                    out.push(Action::ForgetCredentials);
                }
            }
        }
        (self, out)
    }

    fn on_tick(&mut self, now: i64, out: &mut Vec<Action>) {
        if !matches!(self.phase, Phase::Active | Phase::Renewing(_)) {
            return;
        }
        let Some(lease) = &self.access else { return };
        if lease.remaining_secs(now) == 0 {
            // Asleep laptop, throttled tab or a hung renewal: the token is dead already.
            self.drop_token(out);
            if !self.auto_login(now, LoginPurpose::Recover, out) {
                self.ask(PasswordReason::TokenExpired, out);
            }
            return;
        }
        if self.phase != Phase::Active {
            return;
        }
        let Some(plan) = self.plan().filter(|p| p.at_micros <= now) else {
            return;
        };
        let token = lease.token.clone();
        let refresh = self.refresh.as_ref().map(|r| r.token.clone());
        match plan.step {
            PlannedStep::Extend { timeout_secs } => self.renew(
                RenewalCall::Extend,
                Renewal::Extend {
                    token,
                    // A late tick asks for a lifetime counted from now, not from the plan.
                    timeout_secs: self.extension_at(now).unwrap_or(timeout_secs),
                },
                out,
            ),
            PlannedStep::Exchange => self.renew(
                RenewalCall::Exchange,
                Renewal::Exchange {
                    refresh_token: refresh.unwrap_or_default(),
                },
                out,
            ),
            PlannedStep::Refresh { .. } => self.renew(
                RenewalCall::Refresh,
                Renewal::Refresh {
                    access_token: token,
                    refresh_token: refresh.unwrap_or_default(),
                },
                out,
            ),
            PlannedStep::Relogin => {
                // Refused only by the rate limit: the next tick after it passes will log in.
                self.auto_login(now, LoginPurpose::Renew { old: token }, out);
            }
            PlannedStep::Expire { .. } => {}
        }
    }

    fn on_login_submitted(&mut self, now: i64, out: &mut Vec<Action>) {
        self.credentials_held = true;
        if let Some(old) = self.access.take() {
            if old.remaining_secs(now) > 0 {
                out.push(Action::DeleteToken { token: old.token });
            }
            out.push(Action::DropToken);
        }
        self.refresh = None;
        let purpose = LoginPurpose::SignIn;
        out.push(Action::Login {
            purpose: purpose.clone(),
        });
        self.phase = Phase::LoggingIn(purpose);
    }

    fn on_login_succeeded(
        &mut self,
        now: i64,
        token: &AuthToken,
        refresh: Option<&AuthToken>,
        out: &mut Vec<Action>,
    ) {
        let Phase::LoggingIn(purpose) = self.phase.clone() else {
            // A login nobody waits for any more (logout or a double submit): don't let its
            // token count toward the user's limit.
            out.push(Action::DeleteToken {
                token: token.token.clone(),
            });
            return;
        };
        self.access = Some(TokenLease::from_token(token, now));
        self.refresh = refresh.map(|r| TokenLease::from_token(r, now));
        self.issued_at_micros = now;
        self.granted_secs = token.timeout;
        self.refreshes_used = 0;
        self.extend_exhausted = false;
        self.retry_at_micros = None;
        self.last_failure = None;
        self.phase = Phase::Active;
        if !self.settings.stay_signed_in && self.credentials_held {
            self.credentials_held = false;
            out.push(Action::ForgetCredentials);
        }
        if let LoginPurpose::Renew { old } = purpose
            && self.kind == DeviceKind::Bigip
            && old != token.token
        {
            out.push(Action::DeleteToken { token: old });
        }
        self.resume(out);
    }

    fn on_login_failed(&mut self, now: i64, status: u16, message: String, out: &mut Vec<Action>) {
        let Phase::LoggingIn(purpose) = self.phase.clone() else {
            return;
        };
        let password_rejected = is_password_rejected(status, &message);
        let failure = failure_text(status, &message);
        if password_rejected && self.credentials_held {
            self.credentials_held = false;
            out.push(Action::ForgetCredentials);
        }
        let reason = if password_rejected {
            PasswordReason::PasswordRejected { message }
        } else {
            PasswordReason::LoginFailed { status, message }
        };
        let renewing_with_live_token =
            matches!(purpose, LoginPurpose::Renew { .. }) && self.waiting.is_empty();
        if !renewing_with_live_token {
            self.drop_token(out);
            self.ask(reason, out);
            return;
        }
        // The old token still works: keep it and let the plan fall back or retry.
        self.phase = Phase::Active;
        if password_rejected {
            out.push(Action::ShowError {
                message: format!(
                    "Logging in again to renew the token failed: {}",
                    reason.explain()
                ),
            });
        } else {
            self.retry_at_micros = Some(now + RENEWAL_RETRY_SECS * MICROS);
            self.last_failure = Some(failure);
        }
    }

    fn on_renew_succeeded(
        &mut self,
        now: i64,
        token: &AuthToken,
        refresh: Option<&AuthToken>,
        out: &mut Vec<Action>,
    ) {
        let Phase::Renewing(call) = self.phase else {
            return;
        };
        let lease = match call {
            RenewalCall::Extend => {
                if self.access.as_ref().map(|l| l.token.as_str()) != Some(token.token.as_str()) {
                    return;
                }
                if token.expires_at_micros().is_some() && token.issued_at_micros().is_some() {
                    TokenLease::from_token(token, now)
                } else {
                    // No clock in the reply: assume the stricter reading, `timeout` from issue.
                    let expiry = self.issued_at_micros + token.timeout as i64 * MICROS;
                    TokenLease::new(token.token.clone(), token.timeout, Some(expiry), now)
                }
            }
            RenewalCall::Exchange => TokenLease::from_token(token, now),
            RenewalCall::Refresh => {
                self.refreshes_used = self.refreshes_used.saturating_add(1);
                if let Some(r) = refresh {
                    self.refresh = Some(TokenLease::from_token(r, now));
                }
                TokenLease::from_token(token, now)
            }
        };
        if lease.remaining_secs(now) <= self.margin_secs() {
            // The renewal did not buy time: stop using it, or the next tick would repeat it.
            self.give_up_on(call);
        }
        self.access = Some(lease);
        self.phase = Phase::Active;
        self.retry_at_micros = None;
        self.last_failure = None;
        self.resume(out);
    }

    fn on_renew_failed(&mut self, now: i64, status: u16, message: String, out: &mut Vec<Action>) {
        let Phase::Renewing(call) = self.phase else {
            return;
        };
        self.phase = Phase::Active;
        match status {
            401 => {
                if call != RenewalCall::Extend {
                    self.refresh = None;
                }
                self.recover(now, message, out);
            }
            400..=499 if status != 429 => {
                // 406 "absolute timeout exceeded", an invalid refresh token, refresh limit…
                self.give_up_on(call);
                self.last_failure = Some(failure_text(status, &message));
                self.on_tick(now, out);
            }
            _ => {
                let wait = if status == 429 {
                    60
                } else {
                    RENEWAL_RETRY_SECS
                };
                self.retry_at_micros = Some(now + wait * MICROS);
                self.last_failure = Some(failure_text(status, &message));
                if self.access.is_none() {
                    // This renewal was a recovery (BIG-IQ exchange after a 401): log in instead.
                    self.refresh = None;
                    self.recover(now, message, out);
                }
            }
        }
    }

    fn on_request_401(
        &mut self,
        now: i64,
        request: RequestId,
        token_sent: Option<String>,
        message: String,
        out: &mut Vec<Action>,
    ) {
        if self.abandoned.contains(&request) {
            out.push(Action::AbandonRequest { request });
            return;
        }
        if self.replayed.contains(&request) {
            // The replay failed too: never a second replay, never another login for it.
            self.abandon(request, out);
            let current = self.access.as_ref().map(|l| l.token.clone());
            if current.is_some()
                && token_sent == current
                && matches!(self.phase, Phase::Active | Phase::Renewing(_))
            {
                self.drop_token(out);
                self.ask(PasswordReason::ReplayRejected { message }, out);
            }
            return;
        }
        if self.waiting.contains(&request) {
            return;
        }
        match &self.phase {
            Phase::SignedOut => self.abandon(request, out),
            Phase::LoggingIn(_) | Phase::NeedsPassword(_) => self.waiting.push(request),
            Phase::Renewing(_) if self.access.is_none() => self.waiting.push(request),
            Phase::Active | Phase::Renewing(_) => {
                let current = self.token_for_requests(now).map(str::to_owned);
                if current.is_some() && token_sent != current {
                    // Sent with a token that has since been replaced: just resend it.
                    self.replayed.insert(request);
                    out.push(Action::ReplayRequest { request });
                } else {
                    self.waiting.push(request);
                    self.recover(now, message, out);
                }
            }
        }
    }

    /// A hand-made change to the session's own token: follow the device's new expiry, so
    /// auto-renew neither fires early nor "extends" a longer timeout back down.
    fn on_token_changed(&mut self, now: i64, token: &AuthToken) {
        let Some(current) = &self.access else { return };
        if current.token != token.token || self.phase != Phase::Active {
            return;
        }
        let lease = if token.expires_at_micros().is_some() && token.issued_at_micros().is_some() {
            TokenLease::from_token(token, now)
        } else {
            let expiry = self.issued_at_micros + token.timeout as i64 * MICROS;
            TokenLease::new(token.token.clone(), token.timeout, Some(expiry), now)
        };
        self.extend_exhausted = lease.remaining_secs(now) <= self.margin_secs();
        self.access = Some(lease);
        self.retry_at_micros = None;
    }

    fn on_logout(&mut self, now: i64, out: &mut Vec<Action>) {
        if let Some(lease) = self.access.take() {
            if lease.remaining_secs(now) > 0 {
                out.push(Action::DeleteToken { token: lease.token });
            }
            out.push(Action::DropToken);
        }
        out.push(Action::ForgetCredentials);
        for request in std::mem::take(&mut self.waiting) {
            self.abandon(request, out);
        }
        // Requests already replayed or given up stay on record until they settle: even after
        // a new sign-in, none is retried again.
        let replayed = std::mem::take(&mut self.replayed);
        let abandoned = std::mem::take(&mut self.abandoned);
        *self = Session::new(self.kind, self.settings.clone());
        self.replayed = replayed;
        self.abandoned = abandoned;
    }
}

fn failure_text(status: u16, message: &str) -> String {
    match (status, message.is_empty()) {
        (0, _) => format!("no reply: {message}"),
        (_, true) => status.to_string(),
        (_, false) => format!("{status} {message}"),
    }
}
