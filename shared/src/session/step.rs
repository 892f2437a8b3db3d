//! The transition function: (session, now, event) → (session, actions).

use super::{
    Action, Event, IssuedToken, IssuedTokens, LIVE_TOKEN_SECS, LoginPurpose, Now, PasswordReason,
    Phase, PlannedStep, RATE_LIMITED_RETRY_SECS, RENEWAL_RETRY_SECS, Renewal, RenewalCall,
    RequestId, Session, TokenLease,
};

const MICROS: i64 = 1_000_000;

/// Whether a login's 401 message means the password itself was refused.
pub fn is_password_rejected(status: u16, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    status == 401 && (m.contains("authentication failed") || m.contains("invalid credentials"))
}

impl Session {
    /// Feed one event at `now`; returns the new session and the actions to perform, in order.
    pub fn step(mut self, now: Now, event: Event) -> (Session, Vec<Action>) {
        let mut out = Vec::new();
        match event {
            Event::Tick => self.on_tick(now, &mut out),
            Event::LoginSubmitted { user } => self.on_login_submitted(now, user, &mut out),
            Event::LoginSucceeded { tokens } => self.on_login_succeeded(now, &tokens, &mut out),
            Event::LoginFailed { status, message } => {
                self.on_login_failed(now, status, message, &mut out)
            }
            Event::RenewSucceeded { tokens } => self.on_renew_succeeded(now, &tokens, &mut out),
            Event::RenewFailed {
                status,
                message,
                retry_after_secs,
            } => self.on_renew_failed(now, status, message, retry_after_secs, &mut out),
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

    fn on_tick(&mut self, now: Now, out: &mut Vec<Action>) {
        if !matches!(self.phase, Phase::Active | Phase::Renewing(_)) {
            return;
        }
        let Some(lease) = &self.access else { return };
        if lease.remaining_secs(now.device) == 0 {
            // Asleep laptop, throttled tab, a reload long after, or a hung renewal: the token
            // is dead already. A live refresh token still renews it where the rules allow.
            self.drop_token(out);
            if self.phase == Phase::Active
                && self.rules.recover_by_exchange
                && let Some(refresh_token) = self.live_refresh_token(now)
            {
                self.renew(
                    RenewalCall::Exchange,
                    Renewal::Exchange { refresh_token },
                    out,
                );
            } else if !self.auto_login(now, LoginPurpose::Recover, out)
                && !matches!(self.phase, Phase::NeedsPassword(_))
            {
                self.ask(PasswordReason::TokenExpired, out);
            }
            return;
        }
        if self.phase != Phase::Active {
            return;
        }
        let Some(plan) = self.plan().filter(|p| p.at_micros <= now.device) else {
            return;
        };
        let token = lease.token.clone();
        let expires_at = lease.expires_at_micros;
        let refresh = self.refresh.as_ref().map(|r| r.token.clone());
        match plan.step {
            PlannedStep::Extend { timeout_secs } => self.renew(
                RenewalCall::Extend,
                Renewal::Extend {
                    token,
                    // A late tick asks for a lifetime counted from now, not from the plan.
                    timeout_secs: self.extension_at(now.device).unwrap_or(timeout_secs),
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
                self.auto_login(
                    now,
                    LoginPurpose::Renew {
                        old: token,
                        old_refresh: refresh,
                    },
                    out,
                );
            }
            PlannedStep::Expire { why } => {
                // Ask while the token still works, so the user never meets a 401.
                self.ask(
                    PasswordReason::RenewalNeedsPassword { expires_at, why },
                    out,
                );
            }
        }
    }

    fn on_login_submitted(&mut self, now: Now, user: String, out: &mut Vec<Action>) {
        self.credentials_held = true;
        if matches!(self.phase, Phase::LoggingIn(_)) && user == self.user {
            // A double submit: the login in flight answers for both.
            return;
        }
        let live = self
            .access
            .as_ref()
            .filter(|l| l.remaining_secs(now.device) > 0)
            .map(|l| l.token.clone());
        let purpose = match (&self.phase, live) {
            (Phase::SignedOut | Phase::LoggingIn(LoginPurpose::SignIn), _) => LoginPurpose::SignIn,
            // Asked ahead of expiry (or the same user again): the old session still works until
            // the new one replaces it.
            (_, Some(old)) if user == self.user => LoginPurpose::Renew {
                old,
                old_refresh: self.refresh.as_ref().map(|r| r.token.clone()),
            },
            (_, Some(old)) => {
                // Someone else is signing in: the old user's session ends now.
                out.push(Action::EndSession {
                    access: old,
                    refresh: self.refresh.take().map(|r| r.token),
                });
                self.drop_token(out);
                LoginPurpose::Recover
            }
            (_, None) => {
                self.drop_token(out);
                LoginPurpose::Recover
            }
        };
        if purpose == LoginPurpose::SignIn {
            self.drop_token(out);
            self.refresh = None;
        }
        self.user = user;
        out.push(Action::Login {
            purpose: purpose.clone(),
        });
        self.phase = Phase::LoggingIn(purpose);
    }

    fn on_login_succeeded(&mut self, now: Now, tokens: &IssuedTokens, out: &mut Vec<Action>) {
        let Phase::LoggingIn(purpose) = self.phase.clone() else {
            // A login nobody waits for any more (logout or a double submit): don't let its
            // token count toward the user's limit.
            out.push(Action::EndSession {
                access: tokens.access.token.clone(),
                refresh: tokens.refresh.as_ref().map(|r| r.token.clone()),
            });
            return;
        };
        self.access = Some(TokenLease::from_issued(&tokens.access, now.device));
        self.refresh = tokens
            .refresh
            .as_ref()
            .map(|r| TokenLease::from_issued(r, now.device));
        self.issued_at_micros = tokens.access.issued_at_micros.unwrap_or(now.device);
        self.granted_secs = tokens.access.lifetime_secs;
        self.refreshes_used = 0;
        self.extend_exhausted = false;
        self.retry_at_micros = None;
        self.last_failure = None;
        self.phase = Phase::Active;
        if !self.settings.stay_signed_in && self.credentials_held {
            self.credentials_held = false;
            out.push(Action::ForgetCredentials);
        }
        if let LoginPurpose::Renew { old, old_refresh } = purpose
            && self.rules.end_replaced_session
            && old != tokens.access.token
        {
            out.push(Action::EndSession {
                access: old,
                refresh: old_refresh,
            });
        }
        self.resume(out);
    }

    fn on_login_failed(&mut self, now: Now, status: u16, message: String, out: &mut Vec<Action>) {
        let Phase::LoggingIn(purpose) = self.phase.clone() else {
            return;
        };
        let password_rejected = is_password_rejected(status, &message);
        if password_rejected && self.credentials_held {
            self.credentials_held = false;
            out.push(Action::ForgetCredentials);
        }
        if purpose == LoginPurpose::SignIn {
            // A first sign-in that fails leaves nothing behind: the login form shows why.
            if self.credentials_held {
                self.credentials_held = false;
                out.push(Action::ForgetCredentials);
            }
            self.phase = Phase::SignedOut;
            return;
        }
        let reason = if password_rejected {
            PasswordReason::PasswordRejected {
                message: message.clone(),
            }
        } else {
            PasswordReason::LoginFailed {
                message: message.clone(),
            }
        };
        let token_still_works = self
            .access
            .as_ref()
            .is_some_and(|l| l.remaining_secs(now.device) > 0);
        let renewing_with_live_token =
            matches!(purpose, LoginPurpose::Renew { .. }) && self.waiting.is_empty();
        if !(renewing_with_live_token && token_still_works) {
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
            self.retry_at_micros = Some(now.device + RENEWAL_RETRY_SECS * MICROS);
            self.last_failure = Some(failure_text(status, &message));
        }
    }

    fn on_renew_succeeded(&mut self, now: Now, tokens: &IssuedTokens, out: &mut Vec<Action>) {
        let Phase::Renewing(call) = self.phase else {
            return;
        };
        if call == RenewalCall::Extend
            && self.access.as_ref().map(|l| l.token.as_str()) != Some(tokens.access.token.as_str())
        {
            return;
        }
        let lease = match call {
            // The same token with a longer timeout, counted from its issue.
            RenewalCall::Extend => self.lease_for(&tokens.access, now),
            // A new token, counted from now unless the device says otherwise.
            RenewalCall::Exchange | RenewalCall::Refresh => {
                self.issued_at_micros = tokens.access.issued_at_micros.unwrap_or(now.device);
                TokenLease::from_issued(&tokens.access, now.device)
            }
        };
        if call == RenewalCall::Refresh {
            self.refreshes_used = self.refreshes_used.saturating_add(1);
            self.refresh = None;
        }
        if let Some(refresh) = &tokens.refresh {
            self.refresh = Some(TokenLease::from_issued(refresh, now.device));
        }
        if lease.remaining_secs(now.device) <= self.margin_secs() {
            // The renewal did not buy time: stop using it, or the next tick would repeat it.
            self.give_up_on(call);
        }
        self.access = Some(lease);
        self.phase = Phase::Active;
        self.retry_at_micros = None;
        self.last_failure = None;
        self.resume(out);
    }

    fn on_renew_failed(
        &mut self,
        now: Now,
        status: u16,
        message: String,
        retry_after_secs: Option<u64>,
        out: &mut Vec<Action>,
    ) {
        let Phase::Renewing(call) = self.phase else {
            return;
        };
        self.phase = Phase::Active;
        match status {
            401 => {
                if call != RenewalCall::Extend {
                    self.refresh = None;
                }
                self.recover(now, message, false, out);
            }
            400..=499 if status != 429 => {
                // A refused timeout, an invalid refresh token, the refresh limit…
                self.give_up_on(call);
                self.last_failure = Some(failure_text(status, &message));
                self.on_tick(now, out);
            }
            _ => {
                let wait = match (status, retry_after_secs) {
                    (429, Some(secs)) => secs.max(1) as i64,
                    (429, None) => RATE_LIMITED_RETRY_SECS,
                    _ => RENEWAL_RETRY_SECS,
                };
                self.retry_at_micros = Some(now.device + wait * MICROS);
                self.last_failure = Some(failure_text(status, &message));
                if self.access.is_none() {
                    // This renewal was a recovery (an exchange after a 401): log in instead.
                    self.refresh = None;
                    self.recover(now, message, false, out);
                }
            }
        }
    }

    fn on_request_401(
        &mut self,
        now: Now,
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
                let current = self.token_for_requests(now.device).map(str::to_owned);
                if current.is_some() && token_sent != current {
                    // Sent with a token that has since been replaced: just resend it.
                    self.replayed.insert(request);
                    out.push(Action::ReplayRequest { request });
                } else {
                    self.waiting.push(request);
                    self.recover(now, message, true, out);
                }
            }
        }
    }

    /// A hand-made change to the session's own token: follow the device's new expiry, so
    /// auto-renew neither fires early nor "extends" a longer timeout back down.
    fn on_token_changed(&mut self, now: Now, token: &IssuedToken) {
        let Some(current) = &self.access else { return };
        if current.token != token.token || self.phase != Phase::Active {
            return;
        }
        let lease = self.lease_for(token, now);
        self.extend_exhausted = lease.remaining_secs(now.device) <= self.margin_secs();
        self.access = Some(lease);
        self.retry_at_micros = None;
    }

    fn on_logout(&mut self, now: Now, out: &mut Vec<Action>) {
        let refresh = self
            .refresh
            .take()
            .filter(|r| r.remaining_secs(now.device) > 0)
            .map(|r| r.token);
        if let Some(lease) = self.access.take() {
            if lease.remaining_secs(now.device) > 0 || refresh.is_some() {
                out.push(Action::EndSession {
                    access: lease.token,
                    refresh,
                });
            }
            out.push(Action::DropToken);
        }
        out.push(Action::ForgetCredentials);
        for request in std::mem::take(&mut self.waiting) {
            self.abandon(request, out);
        }
        // Requests already replayed or given up stay on record until they settle: even after
        // a new sign-in, none is retried again. So does the last automatic login: a logout
        // and a new sign-in do not let the next one follow it within the minimum interval.
        let replayed = std::mem::take(&mut self.replayed);
        let abandoned = std::mem::take(&mut self.abandoned);
        let last_auto_login_local = self.last_auto_login_local;
        *self = Session::new(self.rules, self.settings.clone());
        self.replayed = replayed;
        self.abandoned = abandoned;
        self.last_auto_login_local = last_auto_login_local;
    }

    /// The lease for a token the device returned for the current session: its own expiry, or
    /// its timeout counted from the session token's issue (a device that counts `timeout` from
    /// the token's start, as BIG-IP does).
    fn lease_for(&self, token: &IssuedToken, now: Now) -> TokenLease {
        let mut token = token.clone();
        if token.issued_at_micros.is_none() && token.expires_at_micros.is_none() {
            token.issued_at_micros = Some(self.issued_at_micros);
        }
        TokenLease::from_issued(&token, now.device)
    }

    /// The refresh token, while it still has life left.
    pub(super) fn live_refresh_token(&self, now: Now) -> Option<String> {
        self.refresh
            .as_ref()
            .filter(|r| r.remaining_secs(now.device) > 0)
            .map(|r| r.token.clone())
    }

    /// Whether the current token still had real life left (so a refusal was not expiry).
    pub(super) fn token_was_live(&self, now: Now) -> bool {
        self.access
            .as_ref()
            .is_some_and(|l| l.remaining_secs(now.device) > LIVE_TOKEN_SECS)
    }
}

pub(super) fn failure_text(status: u16, message: &str) -> String {
    match (status, message.is_empty()) {
        (0, _) => message.to_string(),
        (_, true) => status.to_string(),
        (_, false) => format!("{status} {message}"),
    }
}
