//! Each decision as a table of (state, time, event) → actions, with each kind's real rules.

mod kinds;
mod plan;
mod properties;
mod requests;

use super::*;

/// 2023-11-14 22:13:20 UTC.
pub(super) const T0: i64 = 1_700_000_000_000_000;
pub(super) const S: i64 = 1_000_000;
pub(super) const T1: &str = "DCECRMQ66WOSPTSGPR7OAGG5SI";
pub(super) const T2: &str = "M5TBFC5NFLK372JKNRGZRCO4XM";

/// The browser's clock runs a day ahead of the device's in every test: leases and plans must
/// follow the device, loop guards the browser.
pub(super) const LOCAL_AHEAD: i64 = 86_400 * S;

/// Both clocks at device time `device`.
pub(super) fn dev(device: i64) -> Now {
    Now {
        local: device + LOCAL_AHEAD,
        device,
    }
}

/// Each kind's real rules.
pub(super) const BIGIP: RenewalRules = crate::devices::bigip::RULES;
pub(super) const BIGIQ: RenewalRules = crate::devices::bigiq::RULES;
pub(super) const FMC: RenewalRules = crate::devices::fmc::RULES;

/// A BIG-IP token as the device returns it, issued at `device_now` on the device's clock.
pub(super) fn bigip_token(token: &str, timeout: u64, device_now: i64) -> IssuedToken {
    IssuedToken::new(token, timeout)
        .issued_at(Some(device_now))
        .expires_at(Some(device_now + timeout as i64 * S))
}

/// A JWT-like token with issue and expiry seconds (BIG-IQ), or an opaque one (FMC) when `jwt`
/// is false.
pub(super) fn token(token: &str, timeout: u64, now: i64, jwt: bool) -> IssuedToken {
    let t = IssuedToken::new(token, timeout);
    if jwt {
        t.issued_at(Some(now / S * S))
            .expires_at(Some((now / S + timeout as i64) * S))
    } else {
        t
    }
}

pub(super) fn settings(strategy: Option<RenewalStrategy>, stay: bool) -> RenewalSettings {
    RenewalSettings {
        margin_secs: None,
        strategy,
        stay_signed_in: stay,
    }
}

pub(super) fn run(mut session: Session, events: Vec<(i64, Event)>) -> Session {
    for (at, event) in events {
        session = session.step(dev(at), event).0;
    }
    session
}

pub(super) fn signed_in_with(
    rules: RenewalRules,
    settings: RenewalSettings,
    tokens: (IssuedToken, Option<IssuedToken>),
) -> Session {
    run(
        Session::new(rules, settings),
        vec![
            (T0, Event::LoginSubmitted { user: "foo".into() }),
            (
                T0,
                Event::LoginSucceeded {
                    tokens: IssuedTokens {
                        access: tokens.0,
                        refresh: tokens.1,
                    },
                },
            ),
        ],
    )
}

/// Signed in to a BIG-IP at T0 with a 1200-s token T1.
pub(super) fn active(strategy: Option<RenewalStrategy>, stay: bool) -> Session {
    let tok = bigip_token(T1, 1200, T0);
    signed_in_with(BIGIP, settings(strategy, stay), (tok, None))
}

pub(super) fn active_default() -> Session {
    active(None, true)
}

pub(super) fn with_phase(mut session: Session, phase: Phase, waiting: &[u64]) -> Session {
    session.phase = phase;
    session.waiting = waiting.iter().map(|r| RequestId(*r)).collect();
    session
}

pub(super) fn renewing() -> Session {
    active_default().step(dev(T0 + 1080 * S), Event::Tick).0
}

pub(super) fn recovering(waiting: &[u64]) -> Session {
    let mut s = with_phase(
        active_default(),
        Phase::LoggingIn(LoginPurpose::Recover),
        waiting,
    );
    s.access = None;
    s
}

pub(super) fn replayed(request: u64) -> Session {
    let mut s = active_default();
    s.replayed.insert(RequestId(request));
    s
}

pub(super) fn expired_401(request: u64, token: &str) -> Event {
    Event::RequestFailed401 {
        request: RequestId(request),
        token_sent: Some(token.into()),
        message: "X-F5-Auth-Token has expired.".into(),
    }
}

pub(super) fn login(purpose: LoginPurpose) -> Action {
    Action::Login { purpose }
}

pub(super) fn ask(reason: PasswordReason) -> Action {
    Action::AskForPassword { reason }
}

pub(super) struct Case {
    pub(super) name: &'static str,
    pub(super) state: Session,
    pub(super) at_secs: i64,
    pub(super) event: Event,
    pub(super) want: Vec<Action>,
}

pub(super) fn check(cases: Vec<Case>) {
    for case in cases {
        let (_, actions) = case.state.step(dev(T0 + case.at_secs * S), case.event);
        assert_eq!(actions, case.want, "case: {}", case.name);
    }
}

#[test]
fn ticks() {
    let extend = |timeout_secs| {
        vec![Action::Renew(Renewal::Extend {
            token: T1.into(),
            timeout_secs,
        })]
    };
    check(vec![
        Case {
            name: "fresh token: nothing",
            state: active_default(),
            at_secs: 1079,
            event: Event::Tick,
            want: vec![],
        },
        Case {
            name: "margin reached: extend by one lifetime",
            state: active_default(),
            at_secs: 1080,
            event: Event::Tick,
            want: extend(2280),
        },
        Case {
            name: "late tick still extends from issue",
            state: active_default(),
            at_secs: 1150,
            event: Event::Tick,
            want: extend(2350),
        },
        Case {
            name: "relogin strategy logs in, keeping the old token meanwhile",
            state: active(Some(RenewalStrategy::Relogin), true),
            at_secs: 1080,
            event: Event::Tick,
            want: vec![login(LoginPurpose::Renew {
                old: T1.into(),
                old_refresh: None,
            })],
        },
        Case {
            name: "relogin without stay-signed-in falls back to extend",
            state: active(Some(RenewalStrategy::Relogin), false),
            at_secs: 1080,
            event: Event::Tick,
            want: extend(2280),
        },
        Case {
            name: "expired (laptop slept): drop first, then log in (seed 003)",
            state: active_default(),
            at_secs: 1200,
            event: Event::Tick,
            want: vec![Action::DropToken, login(LoginPurpose::Recover)],
        },
        Case {
            name: "expired without stay-signed-in: ask",
            state: active(None, false),
            at_secs: 5000,
            event: Event::Tick,
            want: vec![Action::DropToken, ask(PasswordReason::TokenExpired)],
        },
        Case {
            name: "renewal in flight: no second call",
            state: renewing(),
            at_secs: 1090,
            event: Event::Tick,
            want: vec![],
        },
        Case {
            name: "renewal hung past expiry: token is dead",
            state: renewing(),
            at_secs: 1200,
            event: Event::Tick,
            want: vec![Action::DropToken, login(LoginPurpose::Recover)],
        },
        Case {
            name: "signed out: nothing",
            state: Session::new(BIGIP, RenewalSettings::default()),
            at_secs: 99_999,
            event: Event::Tick,
            want: vec![],
        },
        Case {
            name: "waiting for a password: nothing",
            state: with_phase(
                active_default(),
                Phase::NeedsPassword(PasswordReason::TokenExpired),
                &[],
            ),
            at_secs: 1100,
            event: Event::Tick,
            want: vec![],
        },
    ]);
}

/// A session whose token has been extended to `timeout` (as the device counts it from issue).
pub(super) fn extended_to(timeout: u64, stay: bool) -> Session {
    let mut s = active(None, stay);
    let lease = s.access.as_mut().unwrap();
    lease.timeout_secs = timeout;
    lease.expires_at_micros = T0 + timeout as i64 * S;
    s
}

#[test]
fn extension_stops_at_the_ten_hour_limit() {
    check(vec![
        Case {
            name: "capped at 36000",
            state: extended_to(35_900, true),
            at_secs: 35_780,
            event: Event::Tick,
            want: vec![Action::Renew(Renewal::Extend {
                token: T1.into(),
                timeout_secs: 36_000,
            })],
        },
        Case {
            name: "at the cap: log in again instead",
            state: extended_to(36_000, true),
            at_secs: 35_880,
            event: Event::Tick,
            want: vec![login(LoginPurpose::Renew {
                old: T1.into(),
                old_refresh: None,
            })],
        },
        Case {
            name: "at the cap without password: ask while the token still works",
            state: extended_to(36_000, false),
            at_secs: 35_880,
            event: Event::Tick,
            want: vec![ask(PasswordReason::RenewalNeedsPassword {
                expires_at: T0 + 36_000 * S,
                why: "the token is at its 10-hour limit and \"stay signed in\" is off".into(),
            })],
        },
    ]);
    let s = extended_to(36_000, false);
    assert_eq!(next_renewal_at(&s), None);
    assert!(matches!(s.plan().unwrap().step, PlannedStep::Expire { .. }));
}

#[test]
fn login_outcomes() {
    let ok = |t: &str| Event::LoginSucceeded {
        tokens: IssuedTokens {
            access: bigip_token(t, 1200, T0),
            refresh: None,
        },
    };
    let failed = |status: u16, m: &str| Event::LoginFailed {
        status,
        message: m.into(),
    };
    let renew_login = || {
        with_phase(
            active(Some(RenewalStrategy::Relogin), true),
            Phase::LoggingIn(LoginPurpose::Renew {
                old: T1.into(),
                old_refresh: None,
            }),
            &[],
        )
    };
    let sign_in = |stay| {
        run(
            Session::new(BIGIP, settings(None, stay)),
            vec![(T0, Event::LoginSubmitted { user: "foo".into() })],
        )
    };
    check(vec![
        Case { name: "sign-in with stay-signed-in keeps the password", state: sign_in(true), at_secs: 1, event: ok(T1), want: vec![] },
        Case { name: "sign-in without it wipes the password", state: sign_in(false), at_secs: 1, event: ok(T1), want: vec![Action::ForgetCredentials] },
        Case { name: "relogin renewal deletes the old token", state: renew_login(), at_secs: 1081, event: ok(T2), want: vec![Action::EndSession { access: T1.into(), refresh: None }] },
        Case { name: "recovery replays the waiting requests once", state: recovering(&[7, 8]), at_secs: 1300, event: ok(T2), want: vec![Action::ReplayRequest { request: RequestId(7) }, Action::ReplayRequest { request: RequestId(8) }] },
        Case { name: "a login nobody waits for is deleted", state: Session::new(BIGIP, RenewalSettings::default()), at_secs: 1, event: ok(T2), want: vec![Action::EndSession { access: T2.into(), refresh: None }] },
        Case { name: "recovery: password changed", state: recovering(&[7]), at_secs: 1300, event: failed(401, "Authentication failed."), want: vec![Action::ForgetCredentials, ask(PasswordReason::PasswordRejected { message: "Authentication failed.".into() })] },
        Case { name: "recovery: device down", state: recovering(&[7]), at_secs: 1300, event: failed(0, "unreachable"), want: vec![ask(PasswordReason::LoginFailed { message: "unreachable".into() })] },
        Case { name: "sign-in: too many tokens leaves it signed out (the form says why)", state: sign_in(true), at_secs: 1, event: failed(400, "user foo has reached maximum active login tokens"), want: vec![Action::ForgetCredentials] },
        Case { name: "relogin renewal refused: keep the live token, say so", state: renew_login(), at_secs: 1081, event: failed(401, "Authentication failed."), want: vec![Action::ForgetCredentials, Action::ShowError { message: "Logging in again to renew the token failed: The device refused the password (\"Authentication failed.\"); it may have changed. Enter the current password.".into() }] },
        Case { name: "relogin renewal network failure: retry quietly", state: renew_login(), at_secs: 1081, event: failed(0, "timeout"), want: vec![] },
    ]);
}

#[test]
fn relogin_renewal_fails_over_to_extend_when_the_password_is_refused() {
    let s = with_phase(
        active(Some(RenewalStrategy::Relogin), true),
        Phase::LoggingIn(LoginPurpose::Renew {
            old: T1.into(),
            old_refresh: None,
        }),
        &[],
    );
    let (s, _) = s.step(
        dev(T0 + 1081 * S),
        Event::LoginFailed {
            status: 401,
            message: "Authentication failed.".into(),
        },
    );
    assert_eq!(s.phase, Phase::Active);
    let (_, actions) = s.step(dev(T0 + 1082 * S), Event::Tick);
    assert_eq!(
        actions,
        vec![Action::Renew(Renewal::Extend {
            token: T1.into(),
            timeout_secs: 2282
        })]
    );
}

#[test]
fn a_hand_made_longer_timeout_is_followed_not_extended_back_down() {
    let signed_in = signed_in_with(
        BIGIP,
        settings(None, true),
        (bigip_token(T1, 1200, T0), None),
    );
    let mut changed = bigip_token(T1, 36_000, T0);
    changed.issued_at_micros = Some(T0 + 60 * S);
    changed.expires_at_micros = Some(T0 + 36_000 * S);
    let (session, actions) =
        signed_in.step(dev(T0 + 60 * S), Event::TokenChanged { token: changed });
    assert!(actions.is_empty());
    // Renewal moves to the new expiry minus the margin, and a tick at the old renewal point
    // (18 minutes in) does nothing.
    assert!(next_renewal_at(&session).unwrap() > T0 + 35_000 * S);
    let (_, actions) = session.step(dev(T0 + 19 * 60 * S), Event::Tick);
    assert_eq!(actions, vec![]);
}

#[test]
fn changes_to_other_tokens_do_not_touch_the_session() {
    let signed_in = signed_in_with(
        BIGIP,
        settings(None, true),
        (bigip_token(T1, 1200, T0), None),
    );
    let before = signed_in.clone();
    let (after, actions) = signed_in.step(
        dev(T0 + S),
        Event::TokenChanged {
            token: bigip_token(T2, 36_000, T0),
        },
    );
    assert!(actions.is_empty());
    assert_eq!(after, before);
}
