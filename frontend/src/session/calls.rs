//! The shell around the lifecycle machine: it feeds it events, performs its actions through the
//! kind's protocol, and makes every device call — paced under the device's rate budget, with the
//! device's clock read from each reply, a 401 recovered at most once, a 429 waited out, and
//! everything recorded in the Activity log.

use std::time::Duration;

use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::curl::HttpCall;
use shared::devices::{Call, Credentials, LoginOutcome, Reply};
use shared::session::timing::{
    clock_check_due, local_retry_secs, refusal_note, retry_again, retry_at,
};
use shared::session::{Action, Event, LoginPurpose, Phase, Renewal, RenewalSettings, RequestId};
use shared::wire::Priority;

use super::activity::{ACTIVITY_LIMIT, ActivityEntry, Origin, Purpose};
use super::device::{DeviceSession, LoginProblem, Resume};
use super::persist::{self, Identity};
use crate::api::{self, ApiError};
use crate::platform::clock::{now_micros, now_ms};

/// Wait until local time `until_micros` (at least a few milliseconds).
async fn sleep_until(until_micros: i64) {
    let wait = ((until_micros - now_micros()) / 1000).max(5) as u64;
    let (tx, rx) = oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = tx.send(());
        },
        Duration::from_millis(wait),
    );
    let _ = rx.await;
}

impl DeviceSession {
    /// Feed the lifecycle machine one event and perform what it decides.
    pub fn dispatch(self, event: Event) {
        let now = self.now();
        let current = self.machine.get_untracked();
        let (next, actions) = current.clone().step(now, event);
        // Most ticks change nothing: don't wake every view that reads the machine.
        if next != current {
            self.machine.set(next);
            self.keep();
        }
        for action in actions {
            self.perform(action);
        }
    }

    fn perform(self, action: Action) {
        match action {
            // The machine already stopped attaching the token; nothing else holds it.
            Action::DropToken => {}
            Action::Login { purpose } => spawn_local(self.login(purpose)),
            Action::Renew(renewal) => spawn_local(self.renew(renewal)),
            Action::EndSession { access, refresh } => spawn_local(async move {
                for call in (self.profile.end_session)(&access, refresh.as_deref()) {
                    let _ = self.send(call, Purpose::Cleanup).await;
                }
            }),
            Action::ReplayRequest { request } => self.resume(request, Resume::Replay),
            Action::AbandonRequest { request } => self.resume(request, Resume::Abandon),
            // The page shows the login form whenever the machine waits for a password.
            Action::AskForPassword { .. } => {}
            Action::ForgetCredentials => self.shell.update_value(|s| s.credentials = None),
            Action::ShowError { message } => self.notices.update(|n| {
                n.push(message);
                if n.len() > 5 {
                    n.remove(0);
                }
            }),
        }
    }

    fn resume(self, request: RequestId, how: Resume) {
        if let Some(tx) = self
            .shell
            .try_update_value(|s| s.waiters.remove(&request.0))
            .flatten()
        {
            let _ = tx.send(how);
        }
    }

    /// The user submitted the login form.
    pub fn sign_in(self, credentials: Credentials) {
        self.login_problem.set(None);
        let user = credentials.username.clone();
        self.shell.update_value(|s| {
            s.credentials = Some(credentials);
            s.user_login = true;
        });
        self.dispatch(Event::LoginSubmitted { user });
    }

    /// The device's certificate was just pinned: finish the sign-in it stopped, if the user's
    /// input is still in memory. Returns whether a sign-in started.
    pub fn retry_after_trust(self) -> bool {
        self.login_problem.set(None);
        match self.shell.try_update_value(|s| s.retry.take()).flatten() {
            Some(credentials) => {
                self.sign_in(credentials);
                true
            }
            None => false,
        }
    }

    /// The user pressed "Log out": the session ends on the device.
    pub fn logout(self) {
        self.shell.update_value(|s| s.retry = None);
        self.dispatch(Event::LogoutRequested);
        self.identity.set(None);
        self.quota.set(None);
        self.notices.set(Vec::new());
        self.scopes.set(Vec::new());
        self.scope.set(None);
        self.keep();
    }

    pub fn change_settings(self, settings: RenewalSettings) {
        persist::save_settings(&settings);
        self.dispatch(Event::SettingsChanged(settings));
    }

    /// One second passed (or the tab became visible again).
    pub fn tick(self) {
        self.dispatch(Event::Tick);
        self.check_clock();
    }

    /// While the device's clock speed is unknown, a cheap call every few quiet seconds shows
    /// it (a sped-up demo device is recognised within a couple of checks).
    fn check_clock(self) {
        let (checks, speed_known, last_sent) = self
            .shell
            .with_value(|s| (s.clock_checks, s.clock.speed_known(), s.last_sent_local));
        let active = self.machine.with_untracked(|m| m.phase == Phase::Active);
        if !clock_check_due(checks, speed_known, now_micros() - last_sent, active) {
            return;
        }
        let Some(token) = self
            .machine
            .with_untracked(|m| m.token_for_requests(self.now().device).map(str::to_owned))
        else {
            return;
        };
        self.shell.update_value(|s| s.clock_checks += 1);
        let call = (self.profile.clock_probe)(&token);
        spawn_local(async move {
            let _ = self.send(call, Purpose::ClockCheck).await;
        });
    }

    async fn login(self, purpose: LoginPurpose) {
        let Some(credentials) = self.shell.with_value(|s| s.credentials.clone()) else {
            self.dispatch(Event::LoginFailed {
                status: 0,
                message: "the password is no longer in memory.".into(),
            });
            return;
        };
        // A login the user asked for (the form) or one the machine started on its own.
        let asked = self
            .shell
            .try_update_value(|s| std::mem::take(&mut s.user_login));
        let activity = match (&purpose, asked) {
            (LoginPurpose::SignIn, _) | (_, Some(true)) => Purpose::SignIn,
            _ => Purpose::AutoLogin,
        };
        // Never a token on a login: a stale one would make the device refuse it.
        let call = (self.profile.login)(&credentials);
        let result = self.send(call, activity).await.and_then(|reply| {
            (self.profile.read_login)(&reply).map_err(|e| ApiError::Unexpected(e.to_string()))
        });
        match result {
            Ok(outcome) => self.signed_in_as(credentials, outcome),
            Err(err) => {
                if purpose == LoginPurpose::SignIn {
                    self.login_problem.set(Some(match &err {
                        ApiError::Relay { body, .. } if err.is_trust_problem() => {
                            self.shell.update_value(|s| s.retry = Some(credentials));
                            LoginProblem::Trust(body.clone())
                        }
                        other => LoginProblem::Message(other.to_string()),
                    }));
                }
                let (status, message) = err.status_and_message();
                self.dispatch(Event::LoginFailed { status, message });
            }
        }
    }

    fn signed_in_as(self, credentials: Credentials, outcome: LoginOutcome) {
        let identity = Identity {
            username: credentials.username,
            provider: credentials.provider,
        };
        persist::remember_login(&self.id(), &identity);
        let remembered = persist::remembered_scope(&self.id(), &identity.username);
        let scope = remembered.filter(|r| outcome.scopes.iter().any(|s| &s.id == r));
        self.scopes.set(outcome.scopes);
        self.scope.set(scope);
        self.identity.set(Some(identity));
        self.shell.update_value(|s| s.clock_checks = 0);
        self.dispatch(Event::LoginSucceeded {
            tokens: outcome.tokens,
        });
    }

    async fn renew(self, renewal: Renewal) {
        let result = match (self.profile.renew)(&renewal) {
            Some(call) => self.send(call, Purpose::Renewal).await.and_then(|reply| {
                (self.profile.read_renewal)(&renewal, &reply)
                    .map_err(|e| ApiError::Unexpected(e.to_string()))
            }),
            None => Err(ApiError::Unexpected(
                "This kind of device does not renew tokens that way.".into(),
            )),
        };
        match result {
            Ok(tokens) => self.dispatch(Event::RenewSucceeded { tokens }),
            Err(err) => {
                let (status, message) = err.status_and_message();
                let retry_after_secs = err.rate_limited().and_then(|(after, _)| after);
                self.dispatch(Event::RenewFailed {
                    status,
                    message,
                    retry_after_secs,
                });
            }
        }
    }

    /// A device call on behalf of the user, with the session's token. A 401 for an expired,
    /// deleted or taken-over token is handled by the lifecycle machine (one renewal or login and
    /// one replay at most).
    pub async fn call(self, call: Call) -> Result<Reply, ApiError> {
        let request = RequestId(self.fresh_id());
        let mut purpose = Purpose::User;
        loop {
            let token = self
                .machine
                .with_untracked(|m| m.token_for_requests(self.now().device).map(str::to_owned));
            let authenticated = match &token {
                Some(token) => self.profile.authenticate(call.clone(), token),
                None => call.clone(),
            };
            let result = self.send(authenticated, purpose).await;
            let Err(ApiError::Device {
                status: 401,
                message,
                ..
            }) = &result
            else {
                self.dispatch(Event::RequestSettled { request });
                return result;
            };
            let (tx, rx) = oneshot::channel();
            self.shell.update_value(|s| {
                s.waiters.insert(request.0, tx);
            });
            self.dispatch(Event::RequestFailed401 {
                request,
                token_sent: token,
                message: message.clone(),
            });
            match rx.await {
                Ok(Resume::Replay) => purpose = Purpose::Replay,
                _ => {
                    self.dispatch(Event::RequestSettled { request });
                    return result;
                }
            }
        }
    }

    /// One call through the relay: paced under the device's budget (token calls first, as the
    /// kind's profile tells them), its clock read, 429s waited out, and logged in the Activity
    /// list.
    async fn send(self, call: Call, purpose: Purpose) -> Result<Reply, ApiError> {
        let entry = self.record(&call, purpose);
        let priority = self.profile.priority(call.method, &call.path);
        let mut attempt = 0;
        loop {
            self.wait_for_slot(entry, priority).await;
            let started = now_ms();
            self.shell
                .update_value(|s| s.last_sent_local = now_micros());
            let result = api::device_call(&self.id(), self.profile, &call).await;
            self.observe_clock(&result);
            // Retry-After counts the device's seconds: a sped-up demo device's pass faster.
            let rate = self.clock_rate_permille();
            let limited = result
                .as_ref()
                .err()
                .and_then(ApiError::rate_limited)
                .map(|(after, held)| (after.map(|s| local_retry_secs(s, rate)), held));
            self.finished_slot(limited.map(|(after, _)| after));
            self.settle(entry, &result, now_ms() - started);
            let Some((retry_after, held)) = limited.filter(|_| retry_again(attempt)) else {
                return result;
            };
            // A 429 was not processed: retrying is safe for any method.
            attempt += 1;
            let until = retry_at(now_micros(), retry_after, self.held_until.get_untracked());
            self.annotate(entry, refusal_note(held, attempt));
            self.wait_until(entry, "429: retrying in", until).await;
        }
    }

    /// Read the device's clock from a reply (or a device error's headers).
    fn observe_clock(self, result: &Result<Reply, ApiError>) {
        let local = now_micros();
        let date = match result {
            Ok(reply) => reply.header("date"),
            Err(ApiError::Device { date, .. }) => date.as_deref(),
            Err(_) => None,
        };
        if let Some(date) = date {
            self.shell
                .update_value(|s| _ = s.clock.observe_http_date(local, date));
        }
    }

    /// Wait until the device's rate budget has a slot for this call (immediately for devices
    /// without a limit).
    async fn wait_for_slot(self, entry: u64, priority: Priority) {
        let ticket = self.fresh_id();
        let (tx, rx) = oneshot::channel();
        let paced = self
            .shell
            .try_update_value(|s| match &mut s.pacer {
                Some(pacer) => {
                    pacer.enqueue(ticket, priority);
                    s.tickets.insert(ticket, tx);
                    true
                }
                None => false,
            })
            .unwrap_or(false);
        if !paced {
            return;
        }
        self.pump();
        let next = self.shell.with_value(|s| {
            s.pacer
                .as_ref()
                .filter(|p| p.is_queued(ticket))
                .map(|p| p.next_slot(now_micros()).unwrap_or_else(now_micros))
        });
        if let Some(until) = next {
            self.mark_waiting(entry, "queued — next slot in", until);
        }
        let _ = rx.await;
        self.mark_waiting(entry, "", 0);
    }

    /// Start what the budget allows now, and set one timer for the next slot.
    fn pump(self) {
        let now = now_micros();
        let (ready, queued, next, held, timer) = self
            .shell
            .try_update_value(|s| {
                let Some(pacer) = &mut s.pacer else {
                    return (Vec::new(), 0, None, None, false);
                };
                let ready: Vec<_> = pacer
                    .start_ready(now)
                    .into_iter()
                    .filter_map(|t| s.tickets.remove(&t))
                    .collect();
                let next = pacer.next_slot(now).filter(|_| !s.pacer_timer);
                let timer = next.is_some();
                s.pacer_timer |= timer;
                (ready, s.tickets.len(), next, pacer.held_until(now), timer)
            })
            .unwrap_or_default();
        for tx in ready {
            let _ = tx.send(());
        }
        self.queued.set(queued);
        self.held_until.set(held);
        if let (Some(next), true) = (next, timer) {
            spawn_local(async move {
                sleep_until(next).await;
                self.shell.update_value(|s| s.pacer_timer = false);
                self.pump();
            });
        }
    }

    fn finished_slot(self, rate_limited: Option<Option<u64>>) {
        let paced = self
            .shell
            .try_update_value(|s| {
                s.pacer
                    .as_mut()
                    .map(|p| p.finished(now_micros(), rate_limited))
                    .is_some()
            })
            .unwrap_or(false);
        if paced {
            self.pump();
        }
    }

    /// Show in Activity why a call waits, with a countdown, and wait.
    async fn wait_until(self, entry: u64, why: &'static str, until: i64) {
        self.mark_waiting(entry, why, until);
        sleep_until(until).await;
        self.mark_waiting(entry, "", 0);
    }

    fn record(self, call: &Call, purpose: Purpose) -> u64 {
        let id = self.fresh_id();
        let device = self.device.get_untracked();
        let entry = ActivityEntry {
            id,
            device_id: device.id,
            device_name: device.name,
            started_ms: now_ms(),
            call: HttpCall {
                method: call.method.to_owned(),
                url: format!("{}{}", device.base_url, call.path),
                headers: call.headers.clone(),
                body: call.body.clone(),
            },
            path: call.path.clone(),
            status: None,
            origin: Origin::Pending,
            latency_ms: None,
            purpose,
            waiting: None,
            note: None,
        };
        self.hub.activity.update(|log| {
            log.insert(0, entry);
            log.truncate(ACTIVITY_LIMIT);
        });
        id
    }

    fn update_entry(self, id: u64, change: impl FnOnce(&mut ActivityEntry)) {
        self.hub.activity.update(|log| {
            if let Some(entry) = log.iter_mut().find(|e| e.id == id) {
                change(entry);
            }
        });
    }

    fn mark_waiting(self, id: u64, why: &'static str, until_micros: i64) {
        self.update_entry(id, |e| {
            e.waiting = (!why.is_empty()).then(|| (why.to_owned(), until_micros as f64 / 1000.0));
        });
    }

    fn annotate(self, id: u64, note: String) {
        self.update_entry(id, |e| e.note = Some(note));
    }

    fn settle(self, id: u64, result: &Result<Reply, ApiError>, latency_ms: f64) {
        let (status, origin) = match result {
            Ok(reply) => (Some(reply.status), Origin::Device),
            Err(ApiError::Device { status, .. }) => (Some(*status), Origin::Device),
            Err(ApiError::Relay { status, .. }) => (Some(*status), Origin::Relay),
            Err(ApiError::Network) => (None, Origin::Network),
            Err(ApiError::Unexpected(_)) => (None, Origin::Device),
        };
        self.update_entry(id, |e| {
            e.status = status;
            e.origin = origin;
            e.latency_ms = Some(latency_ms);
        });
    }
}
