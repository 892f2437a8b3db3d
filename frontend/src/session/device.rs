//! [`DeviceSession`]: one device's lifecycle machine and what surrounds it — who is signed in,
//! the login problem, the scope chosen (where the kind has scopes), the token count (where the
//! device limits it), the rate budget's state, and a [`Shell`] of what no view reads. Its calls
//! are in `calls.rs`.

use std::collections::HashMap;

use futures_channel::oneshot;
use leptos::prelude::*;
use shared::devices::{Credentials, Profile, Scope};
use shared::session::{DeviceClock, Now, Pacer, Session, TokenQuota};
use shared::wire::{DeviceSummary, RateBudget, RelayErrorBody};

use super::hub::Hub;
use super::persist::{self, Identity, Kept};
use crate::platform::clock::now_micros;

/// Why the login form shows a problem.
#[derive(Clone, Debug, PartialEq)]
pub enum LoginProblem {
    /// Worded for a person.
    Message(String),
    /// The relay does not trust the device's certificate (yet): the trust panel explains.
    Trust(RelayErrorBody),
}

/// What a waiting request is told once the machine decides.
pub(super) enum Resume {
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
    /// The user's active tokens against the device's limit, from the last token list read
    /// (kinds with `Profile::token_limit`).
    pub quota: RwSignal<Option<TokenQuota>>,
    /// The scopes the login announced (kinds with `Profile::scope`), and the one chosen.
    pub scopes: RwSignal<Vec<Scope>>,
    pub scope: RwSignal<Option<String>>,
    /// While the device's rate budget holds calls back: until when (local micros).
    pub held_until: RwSignal<Option<i64>>,
    /// Calls waiting for a slot of the device's budget.
    pub queued: RwSignal<usize>,
    pub(super) hub: Hub,
    pub(super) shell: StoredValue<Shell>,
}

/// What the shell keeps beside the signals: nothing a view reads directly. One value, so the
/// bundle carries one copy of the storage code.
#[derive(Default)]
pub(super) struct Shell {
    pub(super) clock: DeviceClock,
    /// The password, in memory only, while the machine allows.
    pub(super) credentials: Option<Credentials>,
    /// What the user typed when a sign-in failed only because the device was not trusted yet:
    /// kept in memory so pinning the certificate can finish the sign-in.
    pub(super) retry: Option<Credentials>,
    /// Requests waiting for the machine's decision after a 401.
    pub(super) waiters: HashMap<u64, oneshot::Sender<Resume>>,
    /// The device's rate budget, where the relay keeps one.
    pub(super) pacer: Option<Pacer>,
    /// Calls waiting for a slot of the budget.
    pub(super) tickets: HashMap<u64, oneshot::Sender<()>>,
    pub(super) pacer_timer: bool,
    /// The next login was asked for by the user (the form), not started by the machine.
    pub(super) user_login: bool,
    pub(super) clock_checks: u8,
    pub(super) last_sent_local: i64,
    /// Page inputs kept with the session.
    fields: HashMap<&'static str, RwSignal<String>>,
}

/// The budget the console paces a device's calls under: the one the relay advertises, else the
/// default the relay keeps under the kind's own limit.
fn budget_of(device: &DeviceSummary, profile: &Profile) -> RateBudget {
    if device.budget.is_none() {
        RateBudget::for_limit(profile.rules.rate_limit)
    } else {
        device.budget
    }
}

impl DeviceSession {
    /// A session for `device`, created under the app's root owner so it outlives any page.
    pub(super) fn new(device: DeviceSummary, hub: Hub) -> Self {
        let profile = shared::devices::profile(device.kind);
        let budget = budget_of(&device, profile);
        let settings = persist::load_settings();
        let session = Self {
            device: RwSignal::new(device),
            profile,
            machine: RwSignal::new(Session::new(profile.rules, settings)),
            identity: RwSignal::new(None),
            login_problem: RwSignal::new(None),
            notices: RwSignal::new(Vec::new()),
            quota: RwSignal::new(None),
            scopes: RwSignal::new(Vec::new()),
            scope: RwSignal::new(None),
            held_until: RwSignal::new(None),
            queued: RwSignal::new(0),
            hub,
            shell: StoredValue::new(Shell {
                pacer: (!budget.is_none()).then(|| Pacer::new(budget)),
                ..Shell::default()
            }),
        };
        session.restore();
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

    /// The chosen scope's id (the user's own until another is picked), where the kind has
    /// scopes.
    pub fn scope_id(self) -> Option<String> {
        self.scope
            .get()
            .or_else(|| self.scopes.with(|s| s.first().map(|s| s.id.clone())))
    }

    /// Read what the device's pacer says (untracked); `None` where there is no budget.
    pub fn pace<T>(self, read: impl FnOnce(&Pacer) -> T) -> Option<T> {
        self.shell.with_value(|s| s.pacer.as_ref().map(read))
    }

    pub(super) fn fresh_id(self) -> u64 {
        self.hub.fresh_id()
    }

    /// Pick up the session this tab held before a reload, if any.
    fn restore(self) {
        let Some(kept) = persist::kept(&self.id()) else {
            return;
        };
        let settings = self.machine.with_untracked(|m| m.settings.clone());
        let scopes = kept.scopes();
        self.machine.set(Session::restore(
            self.profile.rules,
            settings,
            kept.snapshot,
        ));
        self.identity.set(kept.identity);
        self.shell.update_value(|s| s.clock = kept.clock);
        self.scopes.set(scopes);
        self.scope.set(kept.scope);
    }

    /// Keep (or forget) the session for a reload of this tab: tokens, never the password.
    pub(super) fn keep(self) {
        let kept = self
            .machine
            .with_untracked(Session::snapshot)
            .map(|snapshot| {
                Kept::new(
                    snapshot,
                    self.identity.get_untracked(),
                    self.shell.with_value(|s| s.clock.clone()),
                    &self.scopes.get_untracked(),
                    self.scope.get_untracked(),
                )
            });
        persist::keep(&self.id(), kept.as_ref());
    }
}

/// What the login form starts with: the user signed in (or last used here) and the login
/// provider last used on this device.
pub fn login_hint(session: DeviceSession) -> (String, Option<String>) {
    let id = session.id();
    let user = session
        .identity
        .get_untracked()
        .map(|i| i.username)
        .or_else(|| persist::remembered_username(&id))
        .unwrap_or_default();
    (user, persist::remembered_provider(&id))
}

/// Remember the scope picked on this device for the signed-in user.
pub fn choose_scope(session: DeviceSession, id: String) {
    if let Some(identity) = session.identity.get_untracked() {
        persist::remember_scope(&session.id(), &identity.username, &id);
    }
    session.scope.set(Some(id));
    session.keep();
}

/// The session of the device the current route shows.
pub fn use_session() -> DeviceSession {
    expect_context::<DeviceSession>()
}
