//! Renewal outcomes, 401s on requests, logout and settings, as tables.

use super::*;

#[test]
fn renewal_outcomes() {
    let failed = |status: u16, m: &str| Event::RenewFailed {
        status,
        message: m.into(),
        retry_after_secs: None,
    };
    check(vec![
        Case {
            name: "extension done: nothing more",
            state: renewing(),
            at_secs: 1081,
            event: Event::RenewSucceeded {
                tokens: IssuedTokens {
                    access: bigip_token(T1, 2280, T0 + 1081 * S),
                    refresh: None,
                },
            },
            want: vec![],
        },
        Case {
            name: "token deleted meanwhile: drop, log in",
            state: renewing(),
            at_secs: 1081,
            event: failed(401, "X-F5-Auth-Token does not exist."),
            want: vec![Action::DropToken, login(LoginPurpose::Recover)],
        },
        Case {
            name: "406 absolute timeout: fall back to relogin at once",
            state: renewing(),
            at_secs: 1081,
            event: failed(406, "Auth-token absolute timeout (36000 seconds) exceeded"),
            want: vec![login(LoginPurpose::Renew {
                old: T1.into(),
                old_refresh: None,
            })],
        },
        Case {
            name: "503: retry later, nothing now",
            state: renewing(),
            at_secs: 1081,
            event: failed(503, ""),
            want: vec![],
        },
        Case {
            name: "stale reply after a recovery started: ignored",
            state: recovering(&[1]),
            at_secs: 1081,
            event: failed(401, "X-F5-Auth-Token does not exist."),
            want: vec![],
        },
    ]);
}

#[test]
fn extension_reply_sets_the_new_expiry() {
    let (s, _) = renewing().step(
        dev(T0 + 1081 * S),
        Event::RenewSucceeded {
            tokens: IssuedTokens {
                access: bigip_token(T1, 2280, T0 + 1081 * S),
                refresh: None,
            },
        },
    );
    assert_eq!(s.phase, Phase::Active);
    assert_eq!(
        s.access.as_ref().unwrap().remaining_secs(T0 + 1081 * S),
        2280
    );
    // A reply without clocks: counted from issue, the stricter reading.
    let bare = token(T1, 2280, 0, false);
    let (s, _) = renewing().step(
        dev(T0 + 1081 * S),
        Event::RenewSucceeded {
            tokens: IssuedTokens {
                access: bare,
                refresh: None,
            },
        },
    );
    assert_eq!(s.access.as_ref().unwrap().expires_at_micros, T0 + 2280 * S);
}

#[test]
fn a_renewal_that_buys_no_time_is_not_repeated() {
    let (s, _) = renewing().step(
        dev(T0 + 1081 * S),
        Event::RenewSucceeded {
            tokens: IssuedTokens {
                access: bigip_token(T1, 60, T0 + 1081 * S),
                refresh: None,
            },
        },
    );
    assert!(s.extend_exhausted);
    let (_, actions) = s.step(dev(T0 + 1082 * S), Event::Tick);
    assert_eq!(
        actions,
        vec![login(LoginPurpose::Renew {
            old: T1.into(),
            old_refresh: None
        })]
    );
}

#[test]
fn renewal_retries_after_a_transient_failure() {
    let (s, _) = renewing().step(
        dev(T0 + 1081 * S),
        Event::RenewFailed {
            status: 503,
            message: "busy".into(),
            retry_after_secs: None,
        },
    );
    assert_eq!(next_renewal_at(&s), Some(T0 + 1096 * S));
    assert_eq!(s.clone().step(dev(T0 + 1095 * S), Event::Tick).1, vec![]);
    assert_eq!(
        s.step(dev(T0 + 1096 * S), Event::Tick).1,
        vec![Action::Renew(Renewal::Extend {
            token: T1.into(),
            timeout_secs: 2296
        })]
    );
}

#[test]
fn requests_refused_with_401() {
    check(vec![
        Case {
            name: "expired: drop, log in once",
            state: active_default(),
            at_secs: 600,
            event: expired_401(1, T1),
            want: vec![Action::DropToken, login(LoginPurpose::Recover)],
        },
        Case {
            name: "no stay-signed-in: ask",
            state: active(None, false),
            at_secs: 600,
            event: expired_401(1, T1),
            want: vec![
                Action::DropToken,
                ask(PasswordReason::TokenRejected {
                    message: "X-F5-Auth-Token has expired.".into(),
                }),
            ],
        },
        Case {
            name: "sent with a replaced token: resend, no login",
            state: active_default(),
            at_secs: 600,
            event: expired_401(1, T2),
            want: vec![Action::ReplayRequest {
                request: RequestId(1),
            }],
        },
        Case {
            name: "during a recovery: wait for it",
            state: recovering(&[1]),
            at_secs: 600,
            event: expired_401(2, T1),
            want: vec![],
        },
        Case {
            name: "during a renewal login: wait for it",
            state: with_phase(
                active_default(),
                Phase::LoggingIn(LoginPurpose::Renew {
                    old: T1.into(),
                    old_refresh: None,
                }),
                &[],
            ),
            at_secs: 1081,
            event: expired_401(2, T1),
            want: vec![],
        },
        Case {
            name: "the replay is refused too: give up, ask",
            state: replayed(1),
            at_secs: 600,
            event: expired_401(1, T1),
            want: vec![
                Action::AbandonRequest {
                    request: RequestId(1),
                },
                Action::DropToken,
                ask(PasswordReason::ReplayRejected {
                    message: "X-F5-Auth-Token has expired.".into(),
                }),
            ],
        },
        Case {
            name: "the replay carried an old token: give up only",
            state: replayed(1),
            at_secs: 600,
            event: expired_401(1, T2),
            want: vec![Action::AbandonRequest {
                request: RequestId(1),
            }],
        },
        Case {
            name: "signed out: give up",
            state: Session::new(BIGIP, RenewalSettings::default()),
            at_secs: 600,
            event: expired_401(1, T1),
            want: vec![Action::AbandonRequest {
                request: RequestId(1),
            }],
        },
    ]);
}

#[test]
fn logging_in_again_within_30_s_asks_instead() {
    let s = run(
        active_default(),
        vec![
            (T0 + 600 * S, expired_401(1, T1)),
            (
                T0 + 601 * S,
                Event::LoginSucceeded {
                    tokens: IssuedTokens {
                        access: bigip_token(T2, 1200, T0),
                        refresh: None,
                    },
                },
            ),
        ],
    );
    let (s, actions) = s.step(dev(T0 + 610 * S), expired_401(2, T2));
    assert_eq!(
        actions,
        vec![Action::DropToken, ask(PasswordReason::TooManyLogins)]
    );
    assert_eq!(s.waiting, vec![RequestId(2)]);
    // The user signs in: the waiting request is replayed once.
    let (s, _) = s.step(
        dev(T0 + 620 * S),
        Event::LoginSubmitted { user: "foo".into() },
    );
    let (_, actions) = s.step(
        dev(T0 + 621 * S),
        Event::LoginSucceeded {
            tokens: IssuedTokens {
                access: bigip_token(T1, 1200, T0),
                refresh: None,
            },
        },
    );
    assert_eq!(
        actions,
        vec![Action::ReplayRequest {
            request: RequestId(2)
        }]
    );
}

#[test]
fn logout_and_settings() {
    check(vec![
        Case {
            name: "logout deletes the token on the device",
            state: active_default(),
            at_secs: 10,
            event: Event::LogoutRequested,
            want: vec![
                Action::EndSession {
                    access: T1.into(),
                    refresh: None,
                },
                Action::DropToken,
                Action::ForgetCredentials,
            ],
        },
        Case {
            name: "logout during recovery abandons waiting requests",
            state: recovering(&[4]),
            at_secs: 10,
            event: Event::LogoutRequested,
            want: vec![
                Action::ForgetCredentials,
                Action::AbandonRequest {
                    request: RequestId(4),
                },
            ],
        },
        Case {
            name: "turning stay-signed-in off wipes the password",
            state: active_default(),
            at_secs: 10,
            event: Event::SettingsChanged(settings(None, false)),
            want: vec![Action::ForgetCredentials],
        },
        Case {
            name: "the same user signing in again keeps the token until it is replaced",
            state: active_default(),
            at_secs: 10,
            event: Event::LoginSubmitted { user: "foo".into() },
            want: vec![login(LoginPurpose::Renew {
                old: T1.into(),
                old_refresh: None,
            })],
        },
        Case {
            name: "another user signing in ends the live session first",
            state: active_default(),
            at_secs: 10,
            event: Event::LoginSubmitted {
                user: "admin".into(),
            },
            want: vec![
                Action::EndSession {
                    access: T1.into(),
                    refresh: None,
                },
                Action::DropToken,
                login(LoginPurpose::Recover),
            ],
        },
    ]);
    let (s, _) = active_default().step(dev(T0), Event::LogoutRequested);
    assert_eq!(s.phase, Phase::SignedOut);
    assert_eq!(s.access, None);
}

#[test]
fn a_request_given_up_on_is_never_retried() {
    // Logged out while the request waited: abandoned; its late 401 after a new sign-in is not
    // a reason to log in or replay.
    let s = run(
        recovering(&[4]),
        vec![
            (T0 + 10 * S, Event::LogoutRequested),
            (T0 + 20 * S, Event::LoginSubmitted { user: "foo".into() }),
            (
                T0 + 21 * S,
                Event::LoginSucceeded {
                    tokens: IssuedTokens {
                        access: bigip_token(T2, 1200, T0),
                        refresh: None,
                    },
                },
            ),
        ],
    );
    let (_, actions) = s.step(dev(T0 + 30 * S), expired_401(4, T2));
    assert_eq!(
        actions,
        vec![Action::AbandonRequest {
            request: RequestId(4)
        }]
    );
}

#[test]
fn a_snapshot_restores_the_session_without_the_password() {
    let before = active_default();
    let snapshot = before.snapshot().unwrap();
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(!json.contains("password"));
    let after = Session::restore(
        BIGIP,
        before.settings.clone(),
        serde_json::from_str(&json).unwrap(),
    );
    assert_eq!(after.phase, Phase::Active);
    assert_eq!(after.access, before.access);
    assert!(
        !after.credentials_held,
        "the password never survives a reload"
    );
    // It renews as before: extension needs no password.
    let (_, actions) = after.step(dev(T0 + 1080 * S), Event::Tick);
    assert!(matches!(
        &actions[..],
        [Action::Renew(Renewal::Extend { .. })]
    ));
    assert_eq!(
        Session::new(BIGIP, RenewalSettings::default()).snapshot(),
        None
    );
}
