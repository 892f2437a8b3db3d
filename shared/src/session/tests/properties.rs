//! Property-style tests: thousands of random event sequences (a deterministic generator, no
//! extra dependency), checking the rules that must hold whatever the shell and device do.

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// xorshift64*: deterministic, seedable, good enough to shuffle events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A random but well-formed shell: request ids are never reused after they settle.
struct Chaos {
    rng: Rng,
    now: i64,
    next_request: u64,
    open: Vec<u64>,
    issued: u64,
}

impl Chaos {
    fn event(&mut self, session: &Session) -> Event {
        self.now += match self.rng.below(10) {
            0 => self.rng.below(40_000) as i64 * S,
            1..=3 => 0,
            _ => self.rng.below(300) as i64 * S,
        };
        let current = session.access.as_ref().map(|l| l.token.clone());
        match self.rng.below(14) {
            0..=2 => Event::Tick,
            3 => Event::LoginSubmitted { user: "foo".into() },
            4 | 5 => {
                self.issued += 1;
                let timeout = *self.rng.pick(&[1200, 1200, 300, 60, 36_000]);
                Event::LoginSucceeded {
                    tokens: IssuedTokens {
                        access: bigip_token(&format!("TOK{}", self.issued), timeout, self.now),
                        refresh: None,
                    },
                }
            }
            6 => {
                let (status, message) = *self.rng.pick(&[
                    (401, "Authentication failed."),
                    (0, "unreachable"),
                    (400, "user foo has reached maximum active login tokens"),
                    (503, ""),
                ]);
                Event::LoginFailed {
                    status,
                    message: message.into(),
                }
            }
            7 => {
                let name = current.clone().unwrap_or_else(|| "TOK0".into());
                let timeout = *self.rng.pick(&[2400, 36_000, 30]);
                Event::RenewSucceeded {
                    tokens: IssuedTokens {
                        access: bigip_token(&name, timeout, self.now),
                        refresh: None,
                    },
                }
            }
            8 => {
                let (status, message) = *self.rng.pick(&[
                    (401, "X-F5-Auth-Token does not exist."),
                    (406, "Auth-token absolute timeout (36000 seconds) exceeded"),
                    (503, ""),
                    (429, ""),
                ]);
                Event::RenewFailed {
                    status,
                    message: message.into(),
                    retry_after_secs: None,
                }
            }
            9..=11 => {
                let request = if self.open.is_empty() || self.rng.below(2) == 0 {
                    self.next_request += 1;
                    self.open.push(self.next_request);
                    self.next_request
                } else {
                    *self.rng.pick(&self.open)
                };
                let token_sent = match self.rng.below(4) {
                    0 => None,
                    1 => Some("OLD".to_string()),
                    _ => current,
                };
                Event::RequestFailed401 {
                    request: RequestId(request),
                    token_sent,
                    message: "X-F5-Auth-Token has expired.".into(),
                }
            }
            12 if !self.open.is_empty() => {
                let i = self.rng.below(self.open.len() as u64) as usize;
                Event::RequestSettled {
                    request: RequestId(self.open.swap_remove(i)),
                }
            }
            12 => Event::Tick,
            _ => match self.rng.below(3) {
                0 => Event::LogoutRequested,
                _ => Event::SettingsChanged(RenewalSettings {
                    margin_secs: *self.rng.pick(&[None, Some(30), Some(5000)]),
                    strategy: *self.rng.pick(&[None, Some(RenewalStrategy::Relogin)]),
                    stay_signed_in: self.rng.below(3) > 0,
                }),
            },
        }
    }
}

/// A login the machine started on its own (not the user submitting the form).
fn is_auto(purpose: &LoginPurpose, event: &Event) -> bool {
    !matches!(purpose, LoginPurpose::SignIn) && !matches!(event, Event::LoginSubmitted { .. })
}

#[test]
fn random_sequences_keep_the_rules() {
    for seed in 1..=3000u64 {
        let mut chaos = Chaos {
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            now: T0,
            next_request: 0,
            open: Vec::new(),
            issued: 0,
        };
        let mut session = if seed % 2 == 0 {
            active_default()
        } else {
            active(None, false)
        };
        let mut replays: BTreeMap<RequestId, u32> = BTreeMap::new();
        let mut relogins_for: BTreeMap<RequestId, u32> = BTreeMap::new();
        let mut ever_replayed: BTreeSet<RequestId> = BTreeSet::new();
        let mut last_auto_login: Option<i64> = None;
        for n in 0..200 {
            let event = chaos.event(&session);
            let now = chaos.now;
            let before = session.phase.clone();
            let (next, actions) = session.step(dev(now), event.clone());
            let ctx = || format!("seed {seed} step {n}: {before:?} + {event:?} → {actions:?}");
            let logins: Vec<&LoginPurpose> = actions
                .iter()
                .filter_map(|a| match a {
                    Action::Login { purpose } => Some(purpose),
                    _ => None,
                })
                .collect();
            assert!(logins.len() <= 1, "{}", ctx());
            for purpose in &logins {
                // Seed 003: never log in while holding a dead token.
                let holds_dead = next
                    .access
                    .as_ref()
                    .is_some_and(|l| l.remaining_secs(now) == 0);
                assert!(!holds_dead, "login with a dead token held: {}", ctx());
                if !matches!(purpose, LoginPurpose::Renew { .. }) {
                    assert!(
                        next.access.is_none(),
                        "login while holding a token: {}",
                        ctx()
                    );
                }
                if is_auto(purpose, &event) {
                    assert!(
                        !matches!(before, Phase::LoggingIn(_)),
                        "second login in flight: {}",
                        ctx()
                    );
                    if let Some(t) = last_auto_login {
                        assert!(
                            now - t >= MIN_AUTO_LOGIN_INTERVAL_SECS * S,
                            "logins too close: {}",
                            ctx()
                        );
                    }
                    last_auto_login = Some(now);
                }
            }
            if let Event::RequestFailed401 { request, .. } = &event
                && logins.iter().any(|p| is_auto(p, &event))
            {
                assert!(
                    !ever_replayed.contains(request),
                    "re-login for a replayed request: {}",
                    ctx()
                );
                let count = relogins_for.entry(*request).or_default();
                *count += 1;
                assert!(*count <= 1, "two re-logins for one request: {}", ctx());
            }
            for action in &actions {
                match action {
                    Action::ReplayRequest { request } => {
                        ever_replayed.insert(*request);
                        let count = replays.entry(*request).or_default();
                        *count += 1;
                        assert!(*count <= 1, "replayed twice: {}", ctx());
                    }
                    Action::Renew(_) => {
                        assert_eq!(before, Phase::Active, "renewal not from Active: {}", ctx());
                    }
                    Action::AskForPassword { .. } => {
                        assert!(logins.is_empty(), "asks and logs in at once: {}", ctx());
                        assert!(matches!(next.phase, Phase::NeedsPassword(_)), "{}", ctx());
                    }
                    _ => {}
                }
            }
            session = next;
        }
    }
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
