//! Property tests: any event sequence, with each kind's real rules, keeps the machine's rules
//! (the checks and the event generator are `crate::properties::lifecycle`, which the
//! `session_lifecycle` fuzz target runs too), and two hand-built worst cases.

use proptest::prelude::*;

use super::*;
use crate::properties::lifecycle::check_event_sequence;

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_rules(bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
        check_event_sequence(&bytes).map_err(TestCaseError::fail)?;
    }
}

/// Inputs the `session_lifecycle` fuzz target stopped at, kept passing. The first: a BIG-IQ
/// request refused ("Invalid registered claims") while an exchange is in flight starts a second
/// exchange — the audit had counted that as two renewals in flight; a rejected token is
/// recovered at once, by design, and the late reply is ignored.
#[test]
fn fuzz_findings_stay_fixed() {
    let inputs: [&[u8]; 1] = [&[
        232, 248, 253, 253, 253, 253, 253, 65, 57, 253, 253, 253, 253, 253, 253, 253, 253, 38, 232,
        234, 232, 232, 232, 255, 232, 38, 232, 234, 232, 234, 255, 232, 234, 38, 232, 234, 38, 232,
        234, 232, 234, 232,
    ]];
    for bytes in inputs {
        check_event_sequence(bytes).unwrap();
    }
}

/// Found by the `session_lifecycle` fuzz target: a logout forgot the last automatic login,
/// so a device whose tokens arrive dead got a second automatic login 28 s after the first with
/// only a sign-in between; and the tick that refused it asked for the password twice (the
/// second reason, "expired", hiding the first).
#[test]
fn a_logout_keeps_the_pause_between_automatic_logins() {
    let dead_on_arrival = |name: &str, at: i64| Event::LoginSucceeded {
        tokens: IssuedTokens::access_only(bigip_token(name, 1200, at - 1300 * S)),
    };
    let session = run(
        Session::new(BIGIP, settings(None, true)),
        vec![
            (T0, Event::LoginSubmitted { user: "foo".into() }),
            (T0, dead_on_arrival("A1", T0)),
        ],
    );
    let (session, actions) = session.step(dev(T0 + S), Event::Tick);
    assert_eq!(
        actions,
        vec![Action::DropToken, login(LoginPurpose::Recover)]
    );
    let session = run(
        session,
        vec![
            (T0 + 2 * S, Event::LogoutRequested),
            (T0 + 3 * S, Event::LoginSubmitted { user: "foo".into() }),
            (T0 + 3 * S, dead_on_arrival("A2", T0 + 3 * S)),
        ],
    );
    let (_, actions) = session.step(dev(T0 + 29 * S), Event::Tick);
    assert_eq!(
        actions,
        vec![Action::DropToken, ask(PasswordReason::TooManyLogins)]
    );
}

/// A device that deletes every token the moment it is issued: each request 401s, each
/// replay 401s. The machine must give up, not loop.
#[test]
fn a_device_that_rejects_every_token_cannot_make_it_loop() {
    let mut session = active_default();
    let mut now = T0 + 10 * S;
    let (mut logins, mut replays) = (0, 0);
    let mut queue: Vec<Event> = vec![expired_401(1, T1)];
    let mut issued = 0;
    let mut steps = 0;
    while let Some(event) = queue.pop() {
        steps += 1;
        assert!(steps < 100, "still going after 100 steps");
        let (next, actions) = session.step(dev(now), event);
        session = next;
        now += S;
        for action in actions {
            match action {
                Action::Login { .. } => {
                    logins += 1;
                    issued += 1;
                    queue.push(Event::LoginSucceeded {
                        tokens: IssuedTokens {
                            access: bigip_token(&format!("NEW{issued}"), 1200, now),
                            refresh: None,
                        },
                    });
                }
                Action::ReplayRequest { request } => {
                    replays += 1;
                    let sent = session.access.as_ref().map(|l| l.token.clone());
                    queue.push(Event::RequestFailed401 {
                        request,
                        token_sent: sent,
                        message: "X-F5-Auth-Token does not exist.".into(),
                    });
                }
                _ => {}
            }
        }
    }
    assert_eq!((logins, replays), (1, 1));
    assert_eq!(
        session.phase,
        Phase::NeedsPassword(PasswordReason::ReplayRejected {
            message: "X-F5-Auth-Token does not exist.".into()
        })
    );
}

/// Many requests fail at once when the token is deleted: one login, each replayed once.
#[test]
fn a_burst_of_401s_shares_one_login() {
    let mut session = active_default();
    let mut all = Vec::new();
    for r in 1..=5 {
        let (next, actions) = session.step(dev(T0 + 60 * S), expired_401(r, T1));
        session = next;
        all.extend(actions);
    }
    let (_, actions) = session.step(
        dev(T0 + 61 * S),
        Event::LoginSucceeded {
            tokens: IssuedTokens {
                access: bigip_token(T2, 1200, T0),
                refresh: None,
            },
        },
    );
    all.extend(actions);
    let logins = all
        .iter()
        .filter(|a| matches!(a, Action::Login { .. }))
        .count();
    let replays: Vec<_> = all
        .iter()
        .filter_map(|a| match a {
            Action::ReplayRequest { request } => Some(request.0),
            _ => None,
        })
        .collect();
    assert_eq!(logins, 1);
    assert_eq!(replays, vec![1, 2, 3, 4, 5]);
}
