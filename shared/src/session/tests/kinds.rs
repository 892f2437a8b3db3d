//! BIG-IQ's and FMC's own cases, with their real rules: the exchange and its timing, the refresh
//! token's end, the fourth renewal becoming a login, a taken-over session, and 429 waits.

use super::*;
use crate::devices::fmc::TOKEN_LIFETIME_SECS as FMC_LIFE;

const ACCESS: &str = "eyJ.access";
const REFRESH: &str = "eyJ.refresh";

/// Signed in to a BIG-IQ at T0: a 300-s access token and a 10-hour refresh token.
fn bigiq(stay: bool) -> Session {
    signed_in_with(
        BIGIQ,
        settings(None, stay),
        (
            token(ACCESS, 300, T0, true),
            Some(token(REFRESH, 36_000, T0, true)),
        ),
    )
}

/// Signed in to an FMC at T0 with the pair acc-0 / ref-0.
fn fmc(stay: bool) -> Session {
    signed_in_with(
        FMC,
        settings(None, stay),
        (
            token("acc-0", FMC_LIFE, T0, false),
            Some(token("ref-0", FMC_LIFE, T0, false)),
        ),
    )
}

fn refused(request: u64, token: &str, message: &str) -> Event {
    Event::RequestFailed401 {
        request: RequestId(request),
        token_sent: Some(token.into()),
        message: message.into(),
    }
}

fn renew_failed(status: u16, message: &str, retry_after_secs: Option<u64>) -> Event {
    Event::RenewFailed {
        status,
        message: message.into(),
        retry_after_secs,
    }
}

#[test]
fn bigiq_exchanges_ninety_seconds_before_the_access_token_ends() {
    check(vec![
        Case {
            name: "before the margin: nothing",
            state: bigiq(true),
            at_secs: 209,
            event: Event::Tick,
            want: vec![],
        },
        Case {
            name: "at 300 - 90 s: exchange, without the password",
            state: bigiq(false),
            at_secs: 210,
            event: Event::Tick,
            want: vec![Action::Renew(Renewal::Exchange {
                refresh_token: REFRESH.into(),
            })],
        },
    ]);
}

#[test]
fn bigiq_invalid_claims_means_one_exchange_and_one_replay() {
    let (s, actions) = bigiq(true).step(
        dev(T0 + 100 * S),
        refused(5, ACCESS, "Invalid registered claims."),
    );
    assert_eq!(
        actions,
        vec![
            Action::DropToken,
            Action::Renew(Renewal::Exchange {
                refresh_token: REFRESH.into()
            })
        ]
    );
    let (s, actions) = s.step(
        dev(T0 + 101 * S),
        Event::RenewSucceeded {
            tokens: IssuedTokens {
                access: token("eyJ.access2", 300, T0 + 101 * S, true),
                refresh: None,
            },
        },
    );
    assert_eq!(
        actions,
        vec![Action::ReplayRequest {
            request: RequestId(5)
        }]
    );
    assert_eq!(s.refresh.as_ref().unwrap().token, REFRESH, "kept");
    // The replay is refused too: give up, never a second exchange.
    let (_, actions) = s.step(
        dev(T0 + 102 * S),
        refused(5, "eyJ.access2", "Invalid registered claims."),
    );
    assert_eq!(
        actions,
        vec![
            Action::AbandonRequest {
                request: RequestId(5)
            },
            Action::DropToken,
            ask(PasswordReason::ReplayRejected {
                message: "Invalid registered claims.".into()
            })
        ]
    );
}

#[test]
fn bigiq_a_refused_exchange_means_one_login_or_ask() {
    let exchanging = |stay| {
        bigiq(stay)
            .step(
                dev(T0 + 100 * S),
                refused(5, ACCESS, "Invalid registered claims."),
            )
            .0
    };
    check(vec![
        Case {
            name: "dead refresh token, password held: one login",
            state: exchanging(true),
            at_secs: 101,
            event: renew_failed(401, "Invalid refresh token.", None),
            want: vec![login(LoginPurpose::Recover)],
        },
        Case {
            name: "dead refresh token, no password: ask",
            state: exchanging(false),
            at_secs: 101,
            event: renew_failed(401, "Invalid refresh token.", None),
            want: vec![ask(PasswordReason::TokenRejected {
                message: "Invalid refresh token.".into(),
            })],
        },
    ]);
}

#[test]
fn bigiq_the_refresh_tokens_end_is_announced_then_met_with_a_login_or_a_question() {
    // Nine hours and 58 minutes in, the last exchange has happened: the access token outlives
    // the refresh token.
    let near_end = |stay| {
        let mut s = bigiq(stay);
        let issued = T0 + 35_880 * S;
        s.access = Some(TokenLease::from_issued(
            &token("eyJ.late", 300, issued, true),
            issued,
        ));
        s
    };
    let s = near_end(false);
    let plan = s.plan().unwrap();
    assert!(
        matches!(&plan.step, PlannedStep::Expire { why } if why.contains("refresh token has ended")),
        "{plan:?}"
    );
    assert!(
        describe_renewal(&s, T0 + 35_900 * S, 0).contains("The password will be asked for"),
        "{}",
        describe_renewal(&s, T0 + 35_900 * S, 0)
    );
    // Earlier on, the panel says when the password will be needed.
    let early = bigiq(false);
    let sentence = describe_renewal(&early, T0, 0);
    assert!(
        sentence.contains("password needed at 08:11:50"),
        "{sentence}"
    );
    check(vec![
        Case {
            name: "password held: log in again before the access token ends",
            state: near_end(true),
            at_secs: 36_090,
            event: Event::Tick,
            want: vec![login(LoginPurpose::Renew {
                old: "eyJ.late".into(),
                old_refresh: Some(REFRESH.into()),
            })],
        },
        Case {
            name: "no password: ask while the token still works",
            state: near_end(false),
            at_secs: 36_090,
            event: Event::Tick,
            want: vec![ask(PasswordReason::RenewalNeedsPassword {
                expires_at: T0 + 36_180 * S,
                why: "the refresh token has ended and \"stay signed in\" is off".into(),
            })],
        },
    ]);
}

#[test]
fn bigiq_relogin_ends_the_old_access_and_refresh_tokens() {
    let mut s = bigiq(true);
    s.phase = Phase::LoggingIn(LoginPurpose::Renew {
        old: ACCESS.into(),
        old_refresh: Some(REFRESH.into()),
    });
    let (_, actions) = s.step(
        dev(T0 + 200 * S),
        Event::LoginSucceeded {
            tokens: IssuedTokens {
                access: token("eyJ.a2", 300, T0 + 200 * S, true),
                refresh: Some(token("eyJ.r2", 36_000, T0 + 200 * S, true)),
            },
        },
    );
    assert_eq!(
        actions,
        vec![Action::EndSession {
            access: ACCESS.into(),
            refresh: Some(REFRESH.into())
        }]
    );
}

#[test]
fn fmc_logout_revokes_and_counts_refreshes_in_the_plan() {
    let (_, actions) = fmc(true).step(dev(T0 + 10 * S), Event::LogoutRequested);
    assert_eq!(
        actions[0],
        Action::EndSession {
            access: "acc-0".into(),
            refresh: Some("ref-0".into())
        }
    );
    let sentence = describe_renewal(&fmc(false), T0, 0);
    assert_eq!(
        sentence,
        "Will refresh the tokens at 22:40:20 (in 27:00) (refresh 1 of 3); password needed at 00:01:20."
    );
}

#[test]
fn fmc_the_fourth_renewal_is_a_login_or_a_question_before_expiry() {
    let mut s = fmc(true);
    s.refreshes_used = 3;
    assert_eq!(s.plan().unwrap().step, PlannedStep::Relogin);
    let mut without = fmc(false);
    without.refreshes_used = 3;
    let plan = without.plan().unwrap();
    assert!(
        matches!(&plan.step, PlannedStep::Expire { why } if why.contains("all 3 refreshes are used")),
        "{plan:?}"
    );
    assert_eq!(
        plan.at_micros,
        T0 + (1800 - 180) * S,
        "asked ahead of expiry"
    );
}

#[test]
fn fmc_invalid_refresh_token_means_one_login_then_ask() {
    let refreshing = |stay| fmc(stay).step(dev(T0 + 1620 * S), Event::Tick).0;
    check(vec![
        Case {
            name: "password held: one login",
            state: refreshing(true),
            at_secs: 1621,
            event: renew_failed(401, "Invalid refresh token", None),
            want: vec![Action::DropToken, login(LoginPurpose::Recover)],
        },
        Case {
            name: "no password: ask",
            state: refreshing(false),
            at_secs: 1621,
            event: renew_failed(401, "Invalid refresh token", None),
            want: vec![
                Action::DropToken,
                ask(PasswordReason::TokenRejected {
                    message: "Invalid refresh token".into(),
                }),
            ],
        },
    ]);
    // The login that follows is refused just as fast: ask, never a loop.
    let (s, _) = refreshing(true).step(
        dev(T0 + 1621 * S),
        renew_failed(401, "Invalid refresh token", None),
    );
    let (s, _) = s.step(
        dev(T0 + 1622 * S),
        Event::LoginSucceeded {
            tokens: IssuedTokens {
                access: token("acc-9", FMC_LIFE, T0 + 1622 * S, false),
                refresh: Some(token("ref-9", FMC_LIFE, T0 + 1622 * S, false)),
            },
        },
    );
    let (_, actions) = s.step(
        dev(T0 + 1625 * S),
        refused(8, "acc-9", "Access token invalid."),
    );
    assert_eq!(
        actions,
        vec![
            Action::DropToken,
            ask(PasswordReason::SessionTakenOver {
                user: "foo".into(),
                message: "Access token invalid.".into()
            })
        ],
        "a live token refused is a takeover: asked, not logged in again"
    );
}

#[test]
fn fmc_a_taken_over_session_is_explained_and_never_fought_over() {
    // Ten minutes in, another login as foo ends this session.
    let (s, actions) = fmc(true).step(
        dev(T0 + 600 * S),
        refused(3, "acc-0", "Access token invalid."),
    );
    assert_eq!(
        actions,
        vec![
            Action::DropToken,
            ask(PasswordReason::SessionTakenOver {
                user: "foo".into(),
                message: "Access token invalid.".into()
            })
        ]
    );
    assert_eq!(s.refresh, None);
    let reason = match &s.phase {
        Phase::NeedsPassword(reason) => reason.explain(),
        other => panic!("{other:?}"),
    };
    assert!(
        reason.contains("Another login as foo ended this session")
            && reason.contains("Logging in again will end that one"),
        "{reason}"
    );
    // The same refusal of an expired token is plain expiry: one automatic login.
    let (_, actions) = fmc(true).step(
        dev(T0 + 1795 * S),
        refused(3, "acc-0", "Access token invalid."),
    );
    assert_eq!(
        actions,
        vec![Action::DropToken, login(LoginPurpose::Recover)]
    );
}

#[test]
fn a_429_on_a_renewal_waits_as_the_device_says() {
    let refreshing = fmc(true).step(dev(T0 + 1620 * S), Event::Tick).0;
    let (s, actions) = refreshing.step(
        dev(T0 + 1621 * S),
        renew_failed(429, "Too many requests", Some(7)),
    );
    assert!(actions.is_empty());
    assert_eq!(s.plan().unwrap().at_micros, T0 + 1628 * S);
    assert_eq!(
        s.plan().unwrap().step,
        PlannedStep::Refresh { number: 1 },
        "a 429 was not processed: the same refresh again"
    );
    let (_, actions) = s.clone().step(dev(T0 + 1627 * S), Event::Tick);
    assert!(actions.is_empty());
    let (_, actions) = s.step(dev(T0 + 1628 * S), Event::Tick);
    assert!(matches!(
        &actions[..],
        [Action::Renew(Renewal::Refresh { .. })]
    ));
    // Without Retry-After: a minute.
    let (s, _) = fmc(true)
        .step(dev(T0 + 1620 * S), Event::Tick)
        .0
        .step(dev(T0 + 1621 * S), renew_failed(429, "", None));
    assert_eq!(s.plan().unwrap().at_micros, T0 + 1681 * S);
}

#[test]
fn bigiq_an_access_token_found_dead_is_exchanged_not_asked_for() {
    // The tab slept (or was reloaded) past the access token's end; the refresh token lives.
    let (_, actions) = bigiq(false).step(dev(T0 + 400 * S), Event::Tick);
    assert_eq!(
        actions,
        vec![
            Action::DropToken,
            Action::Renew(Renewal::Exchange {
                refresh_token: REFRESH.into()
            })
        ]
    );
}
