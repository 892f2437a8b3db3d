//! The token lifecycle: when to renew, how, and what to do when the device rejects a token.
//!
//! A [`Session`] is a state machine driven by [`Session::step`]: the shell hands in the current
//! time (epoch microseconds) and an [`Event`] (a timer tick, a login or renewal outcome, a 401 on
//! some request, a logout) and gets back the new session and the [`Action`]s to perform, in order.
//! The shell performs them and reports their outcomes as further events. Nothing here does I/O.
//!
//! The rules the machine keeps:
//! - Tokens are renewed [`RenewalSettings::margin_secs`] before they expire, by the user's
//!   [`RenewalStrategy`] when the device supports it, falling back to what still works.
//! - A login never carries a token (seed 003: an expired token in the header breaks the login);
//!   a rejected token is dropped ([`Action::DropToken`]) before anything else.
//! - On a 401 for a request, the session logs in again at most once (if the user chose
//!   "stay signed in") and replays that request at most once; a second 401 asks for the password.
//! - At most one login is in flight; 401s that arrive meanwhile wait for it.
//! - Automatic logins are at least [`MIN_AUTO_LOGIN_INTERVAL_SECS`] apart, so a device that
//!   rejects every new token can never make the machine loop.

mod plan;
mod recovery;
mod step;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_plan;
#[cfg(test)]
mod tests_properties;
#[cfg(test)]
mod tests_requests;

pub use plan::{PlannedStep, RenewalPlan, describe_renewal, format_clock, next_renewal_at};
pub use step::is_password_rejected;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::bigip::AuthToken;
use crate::lease::TokenLease;
use crate::wire::DeviceKind;

/// Longest `timeout` a BIG-IP accepts on `PATCH /mgmt/shared/authz/tokens/<T>` (10 hours).
pub const MAX_TOKEN_TIMEOUT_SECS: u64 = 36_000;
/// FMC allows this many `refreshtoken` calls per login; then a full login is needed.
pub const FMC_MAX_REFRESHES: u8 = 3;
/// FMC access tokens last 30 minutes.
pub const FMC_TOKEN_TIMEOUT_SECS: u64 = 1800;
/// Two automatic logins closer than this mean something keeps rejecting new tokens: the
/// machine then asks for the password instead of logging in again.
pub const MIN_AUTO_LOGIN_INTERVAL_SECS: i64 = 30;
/// After a renewal fails for a transient reason (network, 5xx, 429), retry after this long.
pub const RENEWAL_RETRY_SECS: i64 = 15;

/// How a token is renewed before it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalStrategy {
    /// BIG-IP: `PATCH /mgmt/shared/authz/tokens/<T>` with a larger `timeout` (≤ 36000 s).
    /// Creates no new token and needs no password, so it is the BIG-IP default.
    Extend,
    /// Any device: log in again with the in-memory credentials, then delete the old token
    /// (BIG-IP) so tokens do not pile up toward the limit of 100. Needs "stay signed in".
    Relogin,
    /// BIG-IQ: exchange the 10-hour refresh token for a new access token.
    ExchangeRefreshToken,
    /// FMC: `refreshtoken` for a new token pair, at most [`FMC_MAX_REFRESHES`] times per login.
    RefreshTokens,
}

impl RenewalStrategy {
    /// What a session on this kind of device does unless the user chooses otherwise.
    pub fn default_for(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::Bigip => RenewalStrategy::Extend,
            DeviceKind::Bigiq => RenewalStrategy::ExchangeRefreshToken,
            DeviceKind::Fmc => RenewalStrategy::RefreshTokens,
        }
    }

    /// Whether this kind of device offers the strategy.
    pub fn supported_by(self, kind: DeviceKind) -> bool {
        matches!(
            (self, kind),
            (RenewalStrategy::Relogin, _)
                | (RenewalStrategy::Extend, DeviceKind::Bigip)
                | (RenewalStrategy::ExchangeRefreshToken, DeviceKind::Bigiq)
                | (RenewalStrategy::RefreshTokens, DeviceKind::Fmc)
        )
    }

    /// The strategies a settings form should offer for this kind of device.
    pub fn choices(kind: DeviceKind) -> [RenewalStrategy; 2] {
        [RenewalStrategy::default_for(kind), RenewalStrategy::Relogin]
    }

    /// Short label for a settings form.
    pub fn label(self) -> &'static str {
        match self {
            RenewalStrategy::Extend => "Extend the token (PATCH timeout)",
            RenewalStrategy::Relogin => "Log in again and delete the old token",
            RenewalStrategy::ExchangeRefreshToken => "Exchange the refresh token",
            RenewalStrategy::RefreshTokens => "Refresh the token pair (3 times per login)",
        }
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
    /// The strategy actually preferred on this kind of device.
    pub fn strategy_for(&self, kind: DeviceKind) -> RenewalStrategy {
        self.strategy
            .filter(|s| s.supported_by(kind))
            .unwrap_or_else(|| RenewalStrategy::default_for(kind))
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

/// Identifies one request the shell sent, so its 401 and its replay can be matched.
/// The shell must never reuse an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// Why the machine started a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginPurpose {
    /// The user submitted the login form.
    SignIn,
    /// Renewal by logging in again; `old` is still valid and is deleted once replaced.
    Renew { old: String },
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
    /// The device refused the password (`Authentication failed.`): it may have changed.
    PasswordRejected { message: String },
    /// Logging in failed for another reason (device or network).
    LoginFailed { status: u16, message: String },
    /// The request was refused again right after a fresh login; not retrying.
    ReplayRejected { message: String },
    /// New tokens keep being rejected; automatic logins paused.
    TooManyLogins,
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
            PasswordReason::PasswordRejected { message } => format!(
                "The device refused the password (\"{message}\"); it may have changed. Enter the current password."
            ),
            PasswordReason::LoginFailed { status, message } => {
                format!("Logging in again failed ({status} \"{message}\"). Enter the password to retry.")
            }
            PasswordReason::ReplayRejected { message } => format!(
                "The device rejected the request again after a fresh login (\"{message}\"). Enter the password to continue."
            ),
            PasswordReason::TooManyLogins => {
                "The device keeps rejecting new tokens, so automatic login is paused. Enter the password to continue.".into()
            }
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

/// A renewal call for the shell to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// `PATCH /mgmt/shared/authz/tokens/<token>` with `{"timeout": timeout_secs}`.
    Extend { token: String, timeout_secs: u64 },
    /// BIG-IQ `POST /mgmt/shared/authn/exchange` with `{"refreshToken":{"token": refresh_token}}`.
    Exchange { refresh_token: String },
    /// FMC `POST /api/fmc_platform/v1/auth/refreshtoken` with both token headers.
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
    /// Delete (BIG-IP) or revoke (FMC) this token on the device, authenticating with it.
    /// Failures (it may already be gone) need not be reported.
    DeleteToken { token: String },
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
    /// A timer fired (about once a second; late ticks are fine).
    Tick,
    /// The user submitted the login form; the shell holds the password in memory.
    LoginSubmitted,
    /// A login returned a token (BIG-IQ also a refresh token; FMC the refresh token).
    LoginSucceeded {
        token: AuthToken,
        refresh: Option<AuthToken>,
    },
    /// A login failed; `status` 0 means no reply reached the app.
    LoginFailed { status: u16, message: String },
    /// A renewal call succeeded, with the token the device returned.
    RenewSucceeded {
        token: AuthToken,
        refresh: Option<AuthToken>,
    },
    /// A renewal call failed; `status` 0 means no reply reached the app.
    RenewFailed { status: u16, message: String },
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
    /// The user changed a token on the device by hand (e.g. its `timeout` on the Tokens page);
    /// `token` is the device's reply. Only the session's own token matters.
    TokenChanged { token: AuthToken },
}

/// One user's session with one device: the state of the lifecycle machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub kind: DeviceKind,
    pub settings: RenewalSettings,
    pub phase: Phase,
    /// The token attached to requests, if any.
    pub access: Option<TokenLease>,
    /// BIG-IQ or FMC refresh token.
    pub refresh: Option<TokenLease>,
    /// Local time the current access token was issued (for `Extend`'s absolute timeout).
    pub issued_at_micros: i64,
    /// The lifetime the login granted, in seconds (what each extension adds).
    pub granted_secs: u64,
    /// FMC refreshes used since the last login.
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
    /// When the last automatic login started.
    pub last_auto_login_micros: Option<i64>,
}

impl Session {
    /// A signed-out session with a device.
    pub fn new(kind: DeviceKind, settings: RenewalSettings) -> Self {
        Self {
            kind,
            settings,
            phase: Phase::SignedOut,
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
            last_auto_login_micros: None,
        }
    }

    /// The token to attach to an ordinary request now, if there is a live one.
    pub fn token_for_requests(&self, now_micros: i64) -> Option<&str> {
        self.access
            .as_ref()
            .filter(|lease| lease.remaining_secs(now_micros) > 0)
            .map(|lease| lease.token.as_str())
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
}
