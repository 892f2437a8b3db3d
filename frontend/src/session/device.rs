//! One device's session ([`DeviceSession`]): its own lifecycle machine (`shared::session`), who
//! is signed in, the password while "stay signed in" allows, what it learnt of the device's
//! clock, the device's rate budget, and what the user typed on its pages. [`Sessions`] holds one
//! per device under one ticker, so several devices stay signed in at once and selecting a device
//! only changes the view.
//!
//! The shell performs the machine's actions through the kind's protocol
//! (`shared::devices::profile`) without naming a vendor; every device call goes through
//! [`DeviceSession::call`] (see `calls.rs`) so a 401 is recovered at most once, a rate-limited
//! device is paced, and the call is recorded in the Activity log.

pub mod activity;
mod calls;
mod persist;
pub mod sessions;

use std::collections::HashMap;

use futures_channel::oneshot;
use leptos::prelude::*;
use shared::devices::bigip::tokens::TokenQuota;
use shared::devices::{Credentials, Domain, Profile};
use shared::session::{DeviceClock, Now, Pacer, Session};
use shared::wire::{DeviceSummary, RelayErrorBody};

use crate::platform::clock::now_micros;
pub use sessions::{Hub, Sessions, use_sessions};

/// Who is signed in (no secrets).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub username: String,
    pub provider: String,
}

/// Why the login form shows a problem.
#[derive(Clone, Debug, PartialEq)]
pub enum LoginProblem {
    /// Worded for a person.
    Message(String),
    /// The relay does not trust the device's certificate (yet): the trust panel explains.
    Trust(RelayErrorBody),
}

/// What a waiting request is told once the machine decides.
pub(crate) enum Resume {
    Replay,
    Abandon,
}

/// One device's session; `Copy`, provided as context by the device's route.
#[derive(Clone, Copy)]
pub struct DeviceSession {
    pub device: RwSignal<DeviceSummary>,
    pub profile: &'static Profile,
    pub machine: RwSignal<Session>,
    pub identity: RwSignal<Option<Identity>>,
    pub login_problem: RwSignal<Option<LoginProblem>>,
    /// Problems that need no immediate action (a renewal that failed but will be retried).
    pub notices: RwSignal<Vec<String>>,
    /// The user's active tokens against the device's limit, from the last token list read.
    pub quota: RwSignal<Option<TokenQuota>>,
    /// The domains the login announced (FMC), and the one chosen.
    pub domains: RwSignal<Vec<Domain>>,
    pub domain: RwSignal<Option<String>>,
    /// While the device's rate budget holds calls back: until when (local micros).
    pub held_until: RwSignal<Option<i64>>,
    /// Calls waiting for a slot of the device's budget.
    pub queued: RwSignal<usize>,
    hub: Hub,
    shell: StoredValue<Shell>,
}

/// What the shell keeps beside the signals: nothing a view reads directly. One value, so the
/// bundle carries one copy of the storage code.
#[derive(Default)]
struct Shell {
    clock: DeviceClock,
    /// The password, in memory only, while the machine allows.
    credentials: Option<Credentials>,
    /// What the user typed when a sign-in failed only because the device was not trusted yet:
    /// kept in memory so pinning the certificate can finish the sign-in.
    retry: Option<Credentials>,
    /// Requests waiting for the machine's decision after a 401.
    waiters: HashMap<u64, oneshot::Sender<Resume>>,
    /// The device's rate budget, for kinds that have one.
    pacer: Option<Pacer>,
    /// Calls waiting for a slot of the budget.
    tickets: HashMap<u64, oneshot::Sender<()>>,
    pacer_timer: bool,
    /// The next login was asked for by the user (the form), not started by the machine.
    user_login: bool,
    clock_checks: u8,
    last_sent_local: i64,
    /// Page inputs kept with the session.
    fields: HashMap<&'static str, RwSignal<String>>,
}

impl DeviceSession {
    /// A session for `device`, created under the app's root owner so it outlives any page.
    fn new(device: DeviceSummary, hub: Hub) -> Self {
        let profile = shared::devices::profile(device.kind);
        let settings = persist::load_settings();
        let session = Self {
            device: RwSignal::new(device),
            profile,
            machine: RwSignal::new(Session::new(profile.rules, settings)),
            identity: RwSignal::new(None),
            login_problem: RwSignal::new(None),
            notices: RwSignal::new(Vec::new()),
            quota: RwSignal::new(None),
            domains: RwSignal::new(Vec::new()),
            domain: RwSignal::new(None),
            held_until: RwSignal::new(None),
            queued: RwSignal::new(0),
            hub,
            shell: StoredValue::new(Shell {
                pacer: profile.rules.rate_limit.map(Pacer::new),
                ..Shell::default()
            }),
        };
        persist::restore(session);
        session
    }

    pub fn id(self) -> String {
        self.device.with_untracked(|d| d.id.clone())
    }

    /// What all sessions share (the tick, the Activity log).
    pub fn hub(self) -> Hub {
        self.hub
    }

    pub fn name(self) -> String {
        self.device.with_untracked(|d| d.name.clone())
    }

    /// Both clocks now (untracked).
    pub fn now(self) -> Now {
        let local = now_micros();
        self.shell.with_value(|s| s.clock.now(local))
    }

    /// The device's clock, following the console's one-second tick (tracked).
    pub fn device_now(self) -> i64 {
        let local = self.hub.now.get();
        self.shell.with_value(|s| s.clock.device_at(local))
    }

    /// How many times faster than real time the device's clock runs, ×1000.
    pub fn clock_rate_permille(self) -> i64 {
        self.shell.with_value(|s| s.clock.rate_permille())
    }

    /// Whether pages (not the login form) should show.
    pub fn signed_in(self) -> bool {
        self.machine.with(Session::has_session)
    }

    /// A text input of one of this device's pages that survives a page switch (and the page's
    /// own unmounting): created once, kept with the session.
    pub fn field(self, key: &'static str, initial: &str) -> RwSignal<String> {
        if let Some(signal) = self.shell.with_value(|s| s.fields.get(key).copied()) {
            return signal;
        }
        let signal = self.hub.owner().with(|| RwSignal::new(initial.to_owned()));
        self.shell.update_value(|s| {
            s.fields.insert(key, signal);
        });
        signal
    }

    /// The chosen FMC domain's UUID (the user's own until another is picked).
    pub fn domain_uuid(self) -> Option<String> {
        self.domain
            .get()
            .or_else(|| self.domains.with(|d| d.first().map(|d| d.uuid.clone())))
    }

    fn fresh_id(self) -> u64 {
        self.hub.fresh_id()
    }
}

/// What the login form starts with: the user signed in (or last used here) and the login
/// provider last used on this device.
pub fn persist_hint(session: DeviceSession) -> (String, Option<String>) {
    let id = session.id();
    let user = session
        .identity
        .get_untracked()
        .map(|i| i.username)
        .or_else(|| persist::remembered_username(&id))
        .unwrap_or_default();
    (user, persist::remembered_provider(&id))
}

/// Remember the domain picked on this device for the signed-in user.
pub fn choose_domain(session: DeviceSession, uuid: String) {
    if let Some(identity) = session.identity.get_untracked() {
        persist::remember_domain(&session.id(), &identity.username, &uuid);
    }
    session.domain.set(Some(uuid));
    persist::save(session);
}

/// The session of the device the current route shows.
pub fn use_session() -> DeviceSession {
    expect_context::<DeviceSession>()
}
