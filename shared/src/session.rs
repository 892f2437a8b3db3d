//! The token lifecycle, for any kind of device: when to renew, how, and what to do when the
//! device rejects a token.
//!
//! A [`Session`] is a state machine driven by [`Session::step`]: the shell hands in the current
//! time ([`Now`]: the browser's clock and the device's, see [`clock`]) and an [`Event`] (a timer
//! tick, a login or renewal outcome, a 401 on some request, a logout) and gets back the new
//! session and the [`Action`]s to perform, in order. The shell performs them and reports their
//! outcomes as further events. Nothing here does I/O, and nothing names a vendor: what a kind of
//! device allows arrives as data ([`RenewalRules`], from `crate::devices`).
//!
//! The rules the machine keeps:
//! - Tokens are renewed [`RenewalSettings::margin_secs`] before they expire on the device's
//!   clock, by the user's [`RenewalStrategy`] when the device offers it, falling back to what
//!   still works; when nothing can, the password is asked for *before* the token expires.
//! - A login never carries a token (seed 003: an expired token in the header breaks the login);
//!   a rejected token is dropped ([`Action::DropToken`]) before anything else.
//! - On a 401 for a request, the session renews with its refresh token (where the rules say so)
//!   or logs in again, at most once (if the user chose "stay signed in"), and replays that
//!   request at most once; a second 401 asks for the password.
//! - Where a refused live token means another login took the session over, the machine asks
//!   instead of logging in again, so two clients never take a session from each other in a loop.
//! - At most one login is in flight; 401s that arrive meanwhile wait for it.
//! - Automatic logins are at least [`MIN_AUTO_LOGIN_INTERVAL_SECS`] apart (browser time), so a
//!   device that rejects every new token can never make the machine loop.
//! - A failed first sign-in leaves the session signed out: nothing half-signed-in is shown.

pub mod clock;
pub mod lease;
pub mod pacing;
mod plan;
pub mod quota;
mod recovery;
pub mod rules;
mod step;
#[cfg(test)]
mod tests;
pub mod timing;
pub mod token;

pub use clock::{DeviceClock, Now};
pub use lease::{TokenLease, Urgency, format_countdown, format_hours_minutes, mask_secret};
pub use pacing::Pacer;
pub use plan::{PlannedStep, RenewalPlan, describe_renewal, format_clock, next_renewal_at};
pub use quota::TokenQuota;
pub use rules::{RateLimit, RenewalRules, RenewalSettings, RenewalStrategy, auto_margin_secs};
pub use step::is_password_rejected;
pub use token::{IssuedToken, IssuedTokens};

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Two automatic logins closer than this (browser time) mean something keeps rejecting new
/// tokens: the machine then asks for the password instead of logging in again.
pub const MIN_AUTO_LOGIN_INTERVAL_SECS: i64 = 30;
/// After a renewal fails for a transient reason (network, 5xx), retry after this long.
pub const RENEWAL_RETRY_SECS: i64 = 15;
/// After a renewal is refused with 429 and no `Retry-After`, retry after this long.
pub const RATE_LIMITED_RETRY_SECS: i64 = 60;
/// A token refused with more than this left was ended on purpose, not by expiry.
pub const LIVE_TOKEN_SECS: u64 = 30;

/// Identifies one request the shell sent, so its 401 and its replay can be matched.
/// The shell must never reuse an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// Why the machine started a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginPurpose {
    /// The user submitted the login form.
    SignIn,
    /// Renewal by logging in again; `old` (and its refresh token) are still valid and are ended
    /// once replaced, where the rules say so.
    Renew {
        old: String,
        old_refresh: Option<String>,
    },
    /// The token was rejected or expired; waiting requests are replayed after the login.
    Recover,
}

/// Which renewal call is in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalCall {
    Extend,
    Exchange,
    Refresh,
}

/// Why the user is asked for the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordReason {
    /// Nobody is signed in.
    SignIn,
    /// The device rejected the token (expired or deleted) and automatic login is not allowed.
    TokenRejected { message: String },
    /// The token expired and nothing could renew it without the password.
    TokenExpired,
    /// Nothing can renew the token without the password; it still works until `expires_at`
    /// (device clock), so nothing is lost if the password comes before then.
    RenewalNeedsPassword { expires_at: i64, why: String },
    /// The device refused the password (`Authentication failed.`): it may have changed.
    PasswordRejected { message: String },
    /// Logging in again failed for another reason (device, relay or network); `message` is
    /// already worded for a person.
    LoginFailed { message: String },
    /// The request was refused again right after a fresh login; not retrying.
    ReplayRejected { message: String },
    /// New tokens keep being rejected; automatic logins paused.
    TooManyLogins,
    /// Another login by the same user ended this session while its token was still alive.
    SessionTakenOver { user: String, message: String },
}

impl PasswordReason {
    /// One sentence for the login form.
    pub fn explain(&self) -> String {
        match self {
            PasswordReason::SignIn => "Sign in to continue.".into(),
            PasswordReason::TokenRejected { message } => {
                format!("The device rejected the token (\"{message}\"). Enter the password to continue.")
            }
            PasswordReason::TokenExpired => {
                "The token expired and could not be renewed without the password. Enter it to continue.".into()
            }
            PasswordReason::RenewalNeedsPassword { why, .. } => format!(
                "Auto-renew cannot continue ({why}). Enter the password now to stay signed in; the current token keeps working until then."
            ),
            PasswordReason::PasswordRejected { message } => format!(
                "The device refused the password (\"{message}\"); it may have changed. Enter the current password."
            ),
            PasswordReason::LoginFailed { message } => {
                format!("Logging in again failed: {message} Enter the password to retry.")
            }
            PasswordReason::ReplayRejected { message } => format!(
                "The device rejected the request again after a fresh login (\"{message}\"). Enter the password to continue."
            ),
            PasswordReason::TooManyLogins => {
                "The device keeps rejecting new tokens, so automatic login is paused. Enter the password to continue.".into()
            }
            PasswordReason::SessionTakenOver { user, message } => format!(
                "Another login as {user} ended this session (the device said \"{message}\"). Logging in again will end that one."
            ),
        }
    }
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    SignedOut,
    LoggingIn(LoginPurpose),
    Active,
    Renewing(RenewalCall),
    NeedsPassword(PasswordReason),
}

/// A renewal call for the shell to make (the kind's protocol turns it into a request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// Raise the token's timeout to `timeout_secs` (counted from its issue).
    Extend { token: String, timeout_secs: u64 },
    /// Exchange the refresh token for a new access token.
    Exchange { refresh_token: String },
    /// Trade both tokens for a new pair.
    Refresh {
        access_token: String,
        refresh_token: String,
    },
}

/// What the shell must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Forget the current token: attach no token to requests until a new one arrives.
    DropToken,
    /// Log in with the in-memory credentials, sending **no** token header; report
    /// [`Event::LoginSucceeded`] or [`Event::LoginFailed`].
    Login { purpose: LoginPurpose },
    /// Make a renewal call; report [`Event::RenewSucceeded`] or [`Event::RenewFailed`].
    Renew(Renewal),
    /// End this session on the device (delete or revoke its tokens), authenticating with
    /// `access`. Failures (it may already be gone) need not be reported.
    EndSession {
        access: String,
        refresh: Option<String>,
    },
    /// Send this failed request again, once, with the current token.
    ReplayRequest { request: RequestId },
    /// Give up on this request: show its 401 to the user.
    AbandonRequest { request: RequestId },
    /// Show the login form with this reason.
    AskForPassword { reason: PasswordReason },
    /// Wipe the password from memory.
    ForgetCredentials,
    /// Tell the user something went wrong that needs no immediate action.
    ShowError { message: String },
}

/// What happened, as the shell reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A timer fired (about once a second; late ticks are fine), or the tab became visible.
    Tick,
    /// The user submitted the login form as `user`; the shell holds the password in memory.
    LoginSubmitted { user: String },
    /// A login returned tokens.
    LoginSucceeded { tokens: IssuedTokens },
    /// A login failed; `status` 0 means no reply from the device; `message` is worded for a
    /// person.
    LoginFailed { status: u16, message: String },
    /// A renewal call succeeded, with the tokens the device returned.
    RenewSucceeded { tokens: IssuedTokens },
    /// A renewal call failed; `status` 0 means no reply reached the app; a 429 may say when to
    /// retry.
    RenewFailed {
        status: u16,
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// A request got a 401; `token_sent` is the token it carried.
    RequestFailed401 {
        request: RequestId,
        token_sent: Option<String>,
        message: String,
    },
    /// A request finished for good (any outcome); its bookkeeping can go.
    RequestSettled { request: RequestId },
    /// The user pressed "Log out".
    LogoutRequested,
    /// The user changed the renewal settings.
    SettingsChanged(RenewalSettings),
    /// The user changed a token on the device by hand (e.g. its timeout on a Tokens page);
    /// `token` is the device's reply. Only the session's own token matters.
    TokenChanged { token: IssuedToken },
}

/// One user's session with one device: the state of the lifecycle machine. Instants are on
/// the device's clock unless named `local`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub rules: RenewalRules,
    pub settings: RenewalSettings,
    pub phase: Phase,
    /// Who signed in (for messages; empty when signed out).
    pub user: String,
    /// The token attached to requests, if any.
    pub access: Option<TokenLease>,
    /// The refresh token, where the kind has one.
    pub refresh: Option<TokenLease>,
    /// When the current access token was issued (for `Extend`'s absolute timeout).
    pub issued_at_micros: i64,
    /// The lifetime the login granted, in seconds (what each extension adds).
    pub granted_secs: u64,
    /// Refreshes used since the last login.
    pub refreshes_used: u8,
    /// Whether the shell holds the password in memory.
    pub credentials_held: bool,
    /// The device refused (or can no longer usefully grant) an extension.
    pub extend_exhausted: bool,
    /// After a transient renewal failure: when to try again, and why it failed.
    pub retry_at_micros: Option<i64>,
    pub last_failure: Option<String>,
    /// Requests waiting for a login to finish, to be replayed after it.
    pub waiting: Vec<RequestId>,
    /// Requests already replayed once (never replayed again).
    pub replayed: BTreeSet<RequestId>,
    /// Requests given up on (never retried).
    pub abandoned: BTreeSet<RequestId>,
    /// When the last automatic login started (browser time).
    pub last_auto_login_local: Option<i64>,
}

/// A signed-in session as a tab keeps it across a reload (in session storage: this tab only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub user: String,
    pub access: TokenLease,
    pub refresh: Option<TokenLease>,
    pub issued_at_micros: i64,
    pub granted_secs: u64,
    pub refreshes_used: u8,
    pub extend_exhausted: bool,
}

impl Session {
    /// A signed-out session with a device that follows `rules`.
    pub fn new(rules: RenewalRules, settings: RenewalSettings) -> Self {
        Self {
            rules,
            settings,
            phase: Phase::SignedOut,
            user: String::new(),
            access: None,
            refresh: None,
            issued_at_micros: 0,
            granted_secs: 0,
            refreshes_used: 0,
            credentials_held: false,
            extend_exhausted: false,
            retry_at_micros: None,
            last_failure: None,
            waiting: Vec::new(),
            replayed: BTreeSet::new(),
            abandoned: BTreeSet::new(),
            last_auto_login_local: None,
        }
    }

    /// The token to attach to an ordinary request at `device_now`, if there is a live one.
    pub fn token_for_requests(&self, device_now: i64) -> Option<&str> {
        self.access
            .as_ref()
            .filter(|lease| lease.remaining_secs(device_now) > 0)
            .map(|lease| lease.token.as_str())
    }

    /// How urgent the access token is at `device_now`, against the lifetime each renewal buys
    /// (an extended token's total timeout grows; the colour follows one lifetime).
    pub fn urgency(&self, device_now: i64) -> Option<Urgency> {
        self.access.as_ref().map(|lease| {
            lease.urgency_within(device_now, self.granted_secs.max(1).min(lease.timeout_secs))
        })
    }

    /// Whether an automatic login is allowed (the user chose "stay signed in" and the
    /// password is in memory).
    pub fn can_relogin(&self) -> bool {
        self.settings.stay_signed_in && self.credentials_held
    }

    /// The renewal margin for the current token, in seconds.
    pub fn margin_secs(&self) -> u64 {
        self.settings.effective_margin_secs(self.granted_secs)
    }

    /// What a browser tab may keep of this session across a reload: the tokens and their
    /// bookkeeping, never the password. `None` when no token is held.
    pub fn snapshot(&self) -> Option<Snapshot> {
        let access = self.access.clone()?;
        Some(Snapshot {
            user: self.user.clone(),
            access,
            refresh: self.refresh.clone(),
            issued_at_micros: self.issued_at_micros,
            granted_secs: self.granted_secs,
            refreshes_used: self.refreshes_used,
            extend_exhausted: self.extend_exhausted,
        })
    }

    /// The session a [`Snapshot`] describes, active again without the password (auto-renew by
    /// logging in again waits until the user types it; the other strategies go on).
    pub fn restore(rules: RenewalRules, settings: RenewalSettings, snapshot: Snapshot) -> Self {
        Self {
            phase: Phase::Active,
            user: snapshot.user,
            access: Some(snapshot.access),
            refresh: snapshot.refresh,
            issued_at_micros: snapshot.issued_at_micros,
            granted_secs: snapshot.granted_secs,
            refreshes_used: snapshot.refreshes_used,
            extend_exhausted: snapshot.extend_exhausted,
            ..Session::new(rules, settings)
        }
    }

    /// Whether pages (not the login form) should show: signed in, or asked for the password
    /// while a session exists.
    pub fn has_session(&self) -> bool {
        !matches!(
            &self.phase,
            Phase::SignedOut
                | Phase::LoggingIn(LoginPurpose::SignIn)
                | Phase::NeedsPassword(PasswordReason::SignIn)
        )
    }
}
