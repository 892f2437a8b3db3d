//! Renewal plans and their descriptions, per device kind.

use super::*;

#[test]
fn margins() {
    assert_eq!(auto_margin_secs(1200), 120);
    assert_eq!(auto_margin_secs(300), 90);
    assert_eq!(auto_margin_secs(1800), 180);
    assert_eq!(auto_margin_secs(36_000), 300);
    assert_eq!(auto_margin_secs(60), 30);
    let user = RenewalSettings {
        margin_secs: Some(1000),
        ..RenewalSettings::default()
    };
    assert_eq!(
        user.effective_margin_secs(1200),
        600,
        "never more than half the lifetime"
    );
}

#[test]
fn strategies_per_device() {
    let s = RenewalSettings {
        strategy: Some(RenewalStrategy::Extend),
        ..RenewalSettings::default()
    };
    assert_eq!(s.strategy_for(&BIGIP), RenewalStrategy::Extend);
    assert_eq!(s.strategy_for(&BIGIQ), RenewalStrategy::Exchange);
    assert_eq!(
        RenewalSettings::default().strategy_for(&FMC),
        RenewalStrategy::Refresh
    );
    assert_eq!(
        BIGIP.choices(),
        [RenewalStrategy::Extend, RenewalStrategy::Relogin]
    );
}

#[test]
fn describes_what_auto_renew_will_do() {
    let now = T0 + 1000 * S;
    let cases = [
        (
            active_default(),
            0,
            "Will extend the token to 2280 s at 22:31:20 (in 1:20).",
        ),
        (
            active_default(),
            120,
            "Will extend the token to 2280 s at 00:31:20 (in 1:20).",
        ),
        (
            active(Some(RenewalStrategy::Relogin), true),
            0,
            "Will log in again at 22:31:20 (in 1:20) and end this session.",
        ),
        (
            extended_to(36_000, false),
            0,
            "Auto-renew cannot continue: the token is at its 10-hour limit and \"stay signed in\" is off. The password will be asked for at 08:11:20 (in 9:41:20), while the token still works.",
        ),
        (renewing(), 0, "Extending the token…"),
        (
            recovering(&[3]),
            0,
            "The token is no longer valid; logging in again to retry 1 request…",
        ),
        (
            Session::new(BIGIP, RenewalSettings::default()),
            0,
            "Not signed in.",
        ),
    ];
    for (session, offset, want) in cases {
        assert_eq!(describe_renewal(&session, now, offset), want);
    }
    assert_eq!(
        describe_renewal(&active_default(), T0 + 1100 * S, 0),
        "Will extend the token to 2280 s now."
    );
    assert_eq!(format_clock(T0, -300), "17:13:20");
}

#[test]
fn bigiq_exchanges_the_refresh_token() {
    let session = || {
        signed_in_with(
            BIGIQ,
            RenewalSettings::default(),
            (
                token("eyJ.access", 300, T0, true),
                Some(token("eyJ.refresh", 36_000, T0, true)),
            ),
        )
    };
    let exchange = Action::Renew(Renewal::Exchange {
        refresh_token: "eyJ.refresh".into(),
    });
    assert_eq!(next_renewal_at(&session()), Some(T0 + 210 * S));
    assert_eq!(
        session().step(dev(T0 + 210 * S), Event::Tick).1,
        vec![exchange.clone()]
    );
    // A 401 on a request: the refresh token recovers it, no password needed.
    let (s, actions) = session().step(
        dev(T0 + 100 * S),
        Event::RequestFailed401 {
            request: RequestId(9),
            token_sent: Some("eyJ.access".into()),
            message: "Invalid registered claims.".into(),
        },
    );
    assert_eq!(actions, vec![Action::DropToken, exchange]);
    let (_, actions) = s.step(
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
            request: RequestId(9)
        }]
    );
    // Near the end of the refresh token's ten hours: log in again.
    let mut late = session();
    late.access.as_mut().unwrap().expires_at_micros = T0 + 36_100 * S;
    assert_eq!(late.plan().unwrap().step, PlannedStep::Relogin);
}

#[test]
fn fmc_refreshes_three_times_then_logs_in() {
    let mut s = signed_in_with(
        FMC,
        RenewalSettings::default(),
        (
            token("acc-0", crate::devices::fmc::TOKEN_LIFETIME_SECS, T0, false),
            Some(token(
                "ref-0",
                crate::devices::fmc::TOKEN_LIFETIME_SECS,
                T0,
                false,
            )),
        ),
    );
    let mut now = T0;
    for n in 1..=3u8 {
        assert_eq!(s.plan().unwrap().step, PlannedStep::Refresh { number: n });
        now = s.plan().unwrap().at_micros;
        let (next, actions) = s.step(dev(now), Event::Tick);
        assert!(
            matches!(&actions[..], [Action::Renew(Renewal::Refresh { .. })]),
            "{actions:?}"
        );
        let fresh = |p: &str| {
            token(
                &format!("{p}-{n}"),
                crate::devices::fmc::TOKEN_LIFETIME_SECS,
                now,
                false,
            )
        };
        s = next
            .step(
                dev(now),
                Event::RenewSucceeded {
                    tokens: IssuedTokens {
                        access: fresh("acc"),
                        refresh: Some(fresh("ref")),
                    },
                },
            )
            .0;
    }
    assert!(describe_renewal(&s, now, 0).starts_with("Will log in again at"));
    let (_, actions) = s.step(dev(now + 1620 * S), Event::Tick);
    assert_eq!(
        actions,
        vec![login(LoginPurpose::Renew {
            old: "acc-3".into(),
            old_refresh: Some("ref-3".into()),
        })]
    );
}
