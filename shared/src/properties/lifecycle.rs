//! The lifecycle machine's rules, checked over any sequence of events.
//!
//! [`check_event_sequence`] reads a run from bytes — which kind's real rules
//! (`devices::{bigip,bigiq,fmc}::RULES`), which settings, then one event after another, with
//! both clocks moving — feeds each event to [`Session::step`] and checks every step against
//! [`Audit`]. Bytes rather than a random generator, so a fuzzer's mutations and a property
//! test's shrinking both act on the events themselves.
//!
//! The shell it plays is random but well formed in the one way the machine's contract asks:
//! request ids are never reused. Everything else may come at any time: late or unexpected
//! replies, 401s for old tokens, a device clock that jumps, a user who changes settings or
//! signs in as someone else.

use std::collections::BTreeMap;

use crate::devices::{bigip, bigiq, fmc};
use crate::session::{
    Action, Event, IssuedToken, IssuedTokens, LIVE_TOKEN_SECS, LoginPurpose,
    MIN_AUTO_LOGIN_INTERVAL_SECS, Now, PasswordReason, Phase, RenewalRules, RenewalSettings,
    RenewalStrategy, RequestId, Session,
};

const S: i64 = 1_000_000;
/// 2023-11-14 22:13:20 UTC on the device's clock when a run starts.
const T0: i64 = 1_700_000_000 * S;
/// A run stops after this many events even if bytes remain.
const MAX_STEPS: usize = 300;

/// Choices read from bytes; once they run out, every choice is the first option.
pub struct Script<'a> {
    bytes: &'a [u8],
}

impl<'a> Script<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// A number below `n` (at most 256), from one byte.
    fn below(&mut self, n: usize) -> usize {
        match self.bytes.split_first() {
            Some((byte, rest)) => {
                self.bytes = rest;
                usize::from(*byte) % n
            }
            None => 0,
        }
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

/// Run the events `bytes` describe through a session and check each step: the first rule
/// broken, with the step, the event and the states around it.
pub fn check_event_sequence(bytes: &[u8]) -> Result<(), String> {
    let mut script = Script::new(bytes);
    let rules = script.pick(&[bigip::RULES, bigiq::RULES, fmc::RULES]);
    let mut shell = Shell::new(rules, &mut script);
    let mut session = Session::new(rules, shell.settings(&mut script));
    let mut audit = Audit::default();
    let mut prologue = if script.below(4) == 0 {
        Vec::new()
    } else {
        let tokens = shell.login_reply(&mut script);
        vec![
            Event::LoginSucceeded { tokens },
            Event::LoginSubmitted { user: "foo".into() },
        ]
    };
    for step in 0..MAX_STEPS {
        let event = match prologue.pop() {
            Some(event) => event,
            None if script.is_empty() => break,
            None => shell.event(&mut script, &session),
        };
        let now = shell.now();
        let before = session.clone();
        let (after, actions) = session.step(now, event.clone());
        if let Err(broken) = audit.check(&before, now, &event, &after, &actions) {
            return Err(format!(
                "{broken}\n  step {step} at {now:?}\n  before: {:?}\n  event: {event:?}\n  actions: {actions:?}\n  after: {:?}",
                before.phase, after.phase
            ));
        }
        shell.settle_abandoned(&actions);
        session = after;
    }
    Ok(())
}

/// The shell and the device as the script plays them.
struct Shell {
    rules: RenewalRules,
    /// Both clocks, in microseconds: the browser's never runs back; the device's estimate may.
    local: i64,
    device: i64,
    next_request: u64,
    /// Requests sent and not settled yet.
    open: Vec<u64>,
    issued: u64,
}

impl Shell {
    fn new(rules: RenewalRules, script: &mut Script) -> Self {
        let skew = script.pick(&[0, 86_400, -86_400, 37, -3_600]);
        Self {
            rules,
            local: T0 + skew * S,
            device: T0,
            next_request: 0,
            open: Vec::new(),
            issued: 0,
        }
    }

    fn now(&self) -> Now {
        Now {
            local: self.local,
            device: self.device,
        }
    }

    fn advance(&mut self, script: &mut Script) {
        let secs = match script.below(10) {
            0 => script.below(256) as i64 * 160,
            1..=3 => 0,
            _ => script.below(256) as i64 * 2,
        };
        let quarter = script.below(4) as i64 * S / 4;
        self.local += secs * S + quarter;
        self.device += secs * S + quarter;
        if script.below(16) == 0 {
            // A new `Date` sample moves the estimate of the device's clock.
            self.device += (script.below(241) as i64 - 120) * S;
        }
    }

    fn settings(&self, script: &mut Script) -> RenewalSettings {
        RenewalSettings {
            margin_secs: script.pick(&[None, None, Some(0), Some(30), Some(5_000)]),
            strategy: script.pick(&[
                None,
                None,
                Some(RenewalStrategy::Extend),
                Some(RenewalStrategy::Relogin),
                Some(RenewalStrategy::Exchange),
                Some(RenewalStrategy::Refresh),
            ]),
            stay_signed_in: script.below(4) > 0,
        }
    }

    /// A token as some device shapes it: with issue and expiry times, with the issue time
    /// only, or opaque (lifetime only); issued now or by a clock an hour off.
    fn token(&mut self, script: &mut Script, name: String) -> IssuedToken {
        let lifetime: u64 = script.pick(&[1_200, 1_200, 300, 1_800, 36_000, 60, 30, 1]);
        let issued = self.device + script.pick(&[0, 0, 0, -3_600, 3_600, -30]) * S;
        let token = IssuedToken::new(name, lifetime);
        match script.below(3) {
            0 => token
                .issued_at(Some(issued))
                .expires_at(Some(issued + lifetime as i64 * S)),
            1 => token.issued_at(Some(issued / S * S)),
            _ => token,
        }
    }

    fn fresh_name(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}{}", self.issued)
    }

    fn login_reply(&mut self, script: &mut Script) -> IssuedTokens {
        let name = self.fresh_name("A");
        let access = self.token(script, name);
        let refresh = if self.rules.refresh_token && script.below(8) > 0 {
            let name = self.fresh_name("R");
            Some(self.token(script, name))
        } else {
            None
        };
        IssuedTokens { access, refresh }
    }

    fn event(&mut self, script: &mut Script, session: &Session) -> Event {
        self.advance(script);
        let current = session.access.as_ref().map(|l| l.token.clone());
        match script.below(17) {
            0..=2 => Event::Tick,
            3 => Event::LoginSubmitted {
                user: script.pick(&["foo", "foo", "foo", "bar"]).into(),
            },
            4 | 5 => Event::LoginSucceeded {
                tokens: self.login_reply(script),
            },
            6 => {
                let (status, message) = script.pick(&[
                    (401, "Authentication failed."),
                    (0, "The relay could not reach the device."),
                    (400, "user foo has reached maximum active login tokens"),
                    (503, ""),
                    (429, "Too many requests"),
                ]);
                Event::LoginFailed {
                    status,
                    message: message.into(),
                }
            }
            7 | 8 => Event::RenewSucceeded {
                tokens: self.renewal_reply(script, current),
            },
            9 => {
                let (status, message) = script.pick(&[
                    (401, "X-F5-Auth-Token does not exist."),
                    (401, "Invalid refresh token"),
                    (406, "Auth-token absolute timeout (36000 seconds) exceeded"),
                    (400, "Refresh limit reached"),
                    (503, ""),
                    (429, "Too many requests"),
                    (0, "The relay could not reach the device."),
                ]);
                Event::RenewFailed {
                    status,
                    message: message.into(),
                    retry_after_secs: script.pick(&[None, None, Some(0), Some(7), Some(120)]),
                }
            }
            10..=12 => self.request_401(script, current),
            13 if !self.open.is_empty() => {
                let i = script.below(self.open.len().min(256));
                Event::RequestSettled {
                    request: RequestId(self.open.swap_remove(i)),
                }
            }
            13 => Event::Tick,
            14 => {
                let name = current.unwrap_or_else(|| "A0".into());
                Event::TokenChanged {
                    token: self.token(script, name),
                }
            }
            15 => Event::SettingsChanged(self.settings(script)),
            _ => Event::LogoutRequested,
        }
    }

    /// What a renewal call returned: the same token with a new lifetime (an extension), a
    /// new access token (an exchange), or a new pair (a refresh).
    fn renewal_reply(&mut self, script: &mut Script, current: Option<String>) -> IssuedTokens {
        let refresh = |shell: &mut Self, script: &mut Script| {
            let name = shell.fresh_name("R");
            Some(shell.token(script, name))
        };
        match script.below(3) {
            0 => {
                let name = current.unwrap_or_else(|| "A0".into());
                IssuedTokens::access_only(self.token(script, name))
            }
            1 => {
                let name = self.fresh_name("A");
                IssuedTokens::access_only(self.token(script, name))
            }
            _ => {
                let name = self.fresh_name("A");
                let access = self.token(script, name);
                IssuedTokens {
                    access,
                    refresh: refresh(self, script),
                }
            }
        }
    }

    /// A 401 for a new request or one still open, sent with the current token, an old one or
    /// none.
    fn request_401(&mut self, script: &mut Script, current: Option<String>) -> Event {
        let request = if self.open.is_empty() || script.below(2) == 0 {
            self.next_request += 1;
            self.open.push(self.next_request);
            self.next_request
        } else {
            let i = script.below(self.open.len().min(256));
            self.open[i]
        };
        let token_sent = match script.below(5) {
            0 => None,
            1 => Some("OLD".to_owned()),
            2 => Some(format!("A{}", self.issued.saturating_sub(1))),
            _ => current,
        };
        Event::RequestFailed401 {
            request: RequestId(request),
            token_sent,
            message: script
                .pick(&[
                    "X-F5-Auth-Token has expired.",
                    "X-F5-Auth-Token does not exist.",
                    "Invalid registered claims",
                    "Access token invalid.",
                ])
                .into(),
        }
    }

    /// A request the machine gave up on is shown to the user: it settles.
    fn settle_abandoned(&mut self, actions: &[Action]) {
        for action in actions {
            if let Action::AbandonRequest { request } = action {
                self.open.retain(|r| *r != request.0);
            }
        }
    }
}

/// A login the machine started on its own (not the user submitting the form).
fn is_automatic(purpose: &LoginPurpose, event: &Event) -> bool {
    !matches!(purpose, LoginPurpose::SignIn) && !matches!(event, Event::LoginSubmitted { .. })
}

/// What the checks remember across steps.
#[derive(Default)]
pub struct Audit {
    replays: BTreeMap<RequestId, u32>,
    relogins_for: BTreeMap<RequestId, u32>,
    last_auto_login_local: Option<i64>,
    /// The machine said another login took the session over; only the user may log in now.
    taken_over: bool,
}

impl Audit {
    /// Check one step: `before` + `event` at `now` gave `after` and `actions`.
    pub fn check(
        &mut self,
        before: &Session,
        now: Now,
        event: &Event,
        after: &Session,
        actions: &[Action],
    ) -> Result<(), String> {
        let logins: Vec<&LoginPurpose> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Login { purpose } => Some(purpose),
                _ => None,
            })
            .collect();
        if logins.len() > 1 {
            return Err("two logins started in one step".into());
        }
        let asks = actions
            .iter()
            .filter(|a| matches!(a, Action::AskForPassword { .. }))
            .count();
        if asks > 1 {
            return Err("asked for the password twice in one step".into());
        }
        let by_user = matches!(event, Event::LoginSubmitted { .. });
        for purpose in &logins {
            self.check_login(before, now, event, after, purpose)?;
        }
        if self.taken_over && !by_user && !logins.is_empty() {
            return Err("a taken-over session logged in again on its own".into());
        }
        if takeover_refusal(before, now, event) && !logins.is_empty() {
            return Err("a live token refused (a takeover) led to a login on its own".into());
        }
        if let Event::RequestFailed401 { request, .. } = event
            && logins.iter().any(|p| is_automatic(p, event))
        {
            if self.replays.contains_key(request) {
                return Err("logged in again for a request already replayed".into());
            }
            let count = self.relogins_for.entry(*request).or_default();
            *count += 1;
            if *count > 1 {
                return Err("logged in again twice for one request".into());
            }
        }
        for action in actions {
            match action {
                Action::ReplayRequest { request } => {
                    let count = self.replays.entry(*request).or_default();
                    *count += 1;
                    if *count > 1 {
                        return Err(format!("request {} replayed twice", request.0));
                    }
                }
                Action::Renew(_) => check_renewal(before, now, event)?,
                Action::AskForPassword { .. } => {
                    if !logins.is_empty() {
                        return Err("asked for the password and logged in at once".into());
                    }
                    if !matches!(after.phase, Phase::NeedsPassword(_)) {
                        return Err("asked for the password but not waiting for it".into());
                    }
                }
                _ => {}
            }
        }
        if by_user || matches!(event, Event::LogoutRequested) {
            self.taken_over = false;
        }
        if actions.iter().any(|a| {
            matches!(
                a,
                Action::AskForPassword {
                    reason: PasswordReason::SessionTakenOver { .. }
                }
            )
        }) {
            self.taken_over = true;
        }
        Ok(())
    }

    fn check_login(
        &mut self,
        before: &Session,
        now: Now,
        event: &Event,
        after: &Session,
        purpose: &LoginPurpose,
    ) -> Result<(), String> {
        // Seed 003: an expired token in the header breaks the login.
        if after
            .access
            .as_ref()
            .is_some_and(|l| l.remaining_secs(now.device) == 0)
        {
            return Err("a login started while a dead token is held".into());
        }
        if !matches!(purpose, LoginPurpose::Renew { .. }) && after.access.is_some() {
            return Err("a login started while a token is held".into());
        }
        if !is_automatic(purpose, event) {
            return Ok(());
        }
        if matches!(before.phase, Phase::LoggingIn(_)) {
            return Err("a second login started while one is in flight".into());
        }
        if let Some(last) = self.last_auto_login_local
            && now.local - last < MIN_AUTO_LOGIN_INTERVAL_SECS * S
        {
            return Err(format!(
                "automatic logins {} µs apart (browser clock)",
                now.local - last
            ));
        }
        self.last_auto_login_local = Some(now.local);
        Ok(())
    }
}

/// A renewal starts from an active session; from one already renewing only when that
/// renewal failed, or the token died or was refused while it was in flight (a rejected token
/// is recovered at once: a hung call is not waited for, and on a BIG-IQ a second exchange
/// may then overlap the first, whose reply is ignored).
fn check_renewal(before: &Session, now: Now, event: &Event) -> Result<(), String> {
    let token_dead = before
        .access
        .as_ref()
        .is_none_or(|l| l.remaining_secs(now.device) == 0);
    let recovering = matches!(
        event,
        Event::RenewFailed { .. } | Event::RequestFailed401 { .. }
    );
    match before.phase {
        Phase::Active => Ok(()),
        Phase::Renewing(_) if token_dead || recovering => Ok(()),
        _ => Err("a renewal started while another call was in flight".into()),
    }
}

/// A request's 401 for the token in use while it still had real life left, on a device where
/// that means another login ended the session.
fn takeover_refusal(before: &Session, now: Now, event: &Event) -> bool {
    let Event::RequestFailed401 { token_sent, .. } = event else {
        return false;
    };
    before.rules.rejection_means_takeover
        && before.access.as_ref().is_some_and(|lease| {
            token_sent.as_deref() == Some(lease.token.as_str())
                && lease.remaining_secs(now.device) > LIVE_TOKEN_SECS
        })
}
