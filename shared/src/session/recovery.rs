//! How the machine recovers a session: dropping a rejected token, renewing with the refresh
//! token or logging in again (rate-limited), telling a taken-over session from an expired one,
//! and replaying waiting requests exactly once.

use super::{
    Action, LoginPurpose, MIN_AUTO_LOGIN_INTERVAL_SECS, Now, PasswordReason, Phase, Renewal,
    RenewalCall, RequestId, Session,
};

const MICROS: i64 = 1_000_000;

impl Session {
    /// The device rejected the current token (`by_request`: an ordinary request's 401, not a
    /// renewal's): drop it, then get a new one without the user if allowed (the refresh token
    /// first, where the rules say so), or ask for the password.
    pub(super) fn recover(
        &mut self,
        now: Now,
        message: String,
        by_request: bool,
        out: &mut Vec<Action>,
    ) {
        let was_live = self.token_was_live(now);
        self.drop_token(out);
        if self.rules.recover_by_exchange
            && let Some(refresh_token) = self.live_refresh_token(now)
        {
            self.renew(
                RenewalCall::Exchange,
                Renewal::Exchange { refresh_token },
                out,
            );
            return;
        }
        if by_request && was_live && self.rules.rejection_means_takeover {
            // Another login ended this session: logging in again on our own would end that
            // one, which might do the same to us. The user decides.
            self.refresh = None;
            let user = self.user.clone();
            self.ask(PasswordReason::SessionTakenOver { user, message }, out);
            return;
        }
        if !self.auto_login(now, LoginPurpose::Recover, out)
            && !matches!(self.phase, Phase::NeedsPassword(_))
        {
            self.ask(PasswordReason::TokenRejected { message }, out);
        }
    }

    /// Start an automatic login if allowed; asks for the password when the rate limit refuses
    /// a recovery. Returns whether a login started.
    pub(super) fn auto_login(
        &mut self,
        now: Now,
        purpose: LoginPurpose,
        out: &mut Vec<Action>,
    ) -> bool {
        if !self.can_relogin() {
            return false;
        }
        let too_soon = self
            .last_auto_login_local
            .is_some_and(|t| now.local - t < MIN_AUTO_LOGIN_INTERVAL_SECS * MICROS);
        if too_soon {
            if purpose == LoginPurpose::Recover {
                self.ask(PasswordReason::TooManyLogins, out);
            }
            return false;
        }
        self.last_auto_login_local = Some(now.local);
        out.push(Action::Login {
            purpose: purpose.clone(),
        });
        self.phase = Phase::LoggingIn(purpose);
        true
    }

    pub(super) fn renew(&mut self, call: RenewalCall, renewal: Renewal, out: &mut Vec<Action>) {
        out.push(Action::Renew(renewal));
        self.phase = Phase::Renewing(call);
    }

    pub(super) fn give_up_on(&mut self, call: RenewalCall) {
        match call {
            RenewalCall::Extend => self.extend_exhausted = true,
            RenewalCall::Exchange => self.refresh = None,
            RenewalCall::Refresh => self.refreshes_used = self.rules.max_refreshes,
        }
    }

    pub(super) fn abandon(&mut self, request: RequestId, out: &mut Vec<Action>) {
        self.abandoned.insert(request);
        out.push(Action::AbandonRequest { request });
    }

    pub(super) fn drop_token(&mut self, out: &mut Vec<Action>) {
        if self.access.take().is_some() {
            out.push(Action::DropToken);
        }
    }

    pub(super) fn ask(&mut self, reason: PasswordReason, out: &mut Vec<Action>) {
        out.push(Action::AskForPassword {
            reason: reason.clone(),
        });
        self.phase = Phase::NeedsPassword(reason);
    }

    /// Replay, once each, the requests that waited for a new token.
    pub(super) fn resume(&mut self, out: &mut Vec<Action>) {
        for request in std::mem::take(&mut self.waiting) {
            if self.replayed.insert(request) {
                out.push(Action::ReplayRequest { request });
            } else {
                self.abandon(request, out);
            }
        }
    }
}
