//! The console's shell around the token lifecycle machine (`shared::lifecycle`): it holds the
//! machine's state in a signal, performs the machine's actions (logins, renewals, token
//! deletions, replays), makes every device call through [`Console::call`] so a 401 is recovered
//! exactly once, and records each call in the Activity log.
//!
//! The password lives only in [`Console`]'s memory, and only while the machine says it may.

use std::collections::HashMap;

use futures_channel::oneshot;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::bigip::{self, AuthToken, LoginReply, LoginRequest};
use shared::curl::HttpCall;
use shared::lifecycle::{
    Action, Event, LoginPurpose, Phase, Renewal, RenewalSettings, RequestId, Session,
};
use shared::token_list::TokenQuota;
use shared::wire::DeviceSummary;

use crate::activity::{ACTIVITY_LIMIT, ActivityEntry, Origin, Purpose};
use crate::api::{self, ApiError, Reply};
use crate::clock::{now_micros, now_ms};
use crate::storage;

/// Who is signed in (no secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub username: String,
    pub provider: String,
}

/// The password, in memory only.
#[derive(Clone)]
struct Credentials {
    username: String,
    password: String,
    provider: String,
}

enum Resume {
    Replay,
    Abandon,
}

/// Shared console state; `Copy`, provided through context.
#[derive(Clone, Copy)]
pub struct Console {
    pub device: RwSignal<Option<DeviceSummary>>,
    pub machine: RwSignal<Session>,
    pub identity: RwSignal<Option<Identity>>,
    /// The last sign-in failure, worded for the login form.
    pub login_error: RwSignal<Option<String>>,
    /// Problems that need no immediate action (a renewal that failed but will be retried).
    pub notices: RwSignal<Vec<String>>,
    pub activity: RwSignal<Vec<ActivityEntry>>,
    /// Local epoch microseconds, ticking.
    pub now: RwSignal<i64>,
    /// The user's active tokens against the device's limit, from the last token list read.
    pub quota: RwSignal<Option<TokenQuota>>,
    credentials: StoredValue<Option<Credentials>>,
    next_id: StoredValue<u64>,
    waiters: StoredValue<HashMap<u64, oneshot::Sender<Resume>>>,
}

/// Status and message of a failed call, as the lifecycle machine wants them (0: no reply).
fn status_and_message(err: &ApiError) -> (u16, String) {
    match err {
        ApiError::Device {
            status, message, ..
        } => (*status, message.clone()),
        other => (0, other.to_string()),
    }
}

impl Console {
    pub fn new() -> Self {
        let settings = storage::load_settings();
        Self {
            device: RwSignal::new(None),
            machine: RwSignal::new(Session::new(shared::wire::DeviceKind::Bigip, settings)),
            identity: RwSignal::new(None),
            login_error: RwSignal::new(None),
            notices: RwSignal::new(Vec::new()),
            activity: RwSignal::new(Vec::new()),
            now: RwSignal::new(now_micros()),
            quota: RwSignal::new(None),
            credentials: StoredValue::new(None),
            next_id: StoredValue::new(1),
            waiters: StoredValue::new(HashMap::new()),
        }
    }

    /// Pick another device: the old session is logged out first.
    pub fn select_device(self, device: DeviceSummary) {
        if self.device.with_untracked(|d| d.as_ref() == Some(&device)) {
            return;
        }
        self.logout();
        let settings = self.machine.with_untracked(|m| m.settings.clone());
        self.machine.set(Session::new(device.kind, settings));
        self.login_error.set(None);
        self.device.set(Some(device));
    }

    /// Whether the pages (not the login form) should show.
    pub fn signed_in(self) -> bool {
        self.machine.with(|m| {
            !matches!(
                m.phase,
                Phase::SignedOut | Phase::LoggingIn(LoginPurpose::SignIn)
            ) || m.access.is_some()
        })
    }

    fn fresh_id(self) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    /// Feed the lifecycle machine one event and perform what it decides.
    pub fn dispatch(self, event: Event) {
        let now = now_micros();
        let current = self.machine.get_untracked();
        let (next, actions) = current.clone().step(now, event);
        // Most ticks change nothing: don't wake every view that reads the machine.
        if next != current {
            self.machine.set(next);
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
            Action::DeleteToken { token } => spawn_local(async move {
                let path = format!("{}/{token}", bigip::TOKENS_PATH);
                let _ = self
                    .send("DELETE", &path, Some(token.clone()), None, Purpose::Cleanup)
                    .await;
            }),
            Action::ReplayRequest { request } => self.resume(request, Resume::Replay),
            Action::AbandonRequest { request } => self.resume(request, Resume::Abandon),
            // The page shows the login form whenever the machine waits for a password.
            Action::AskForPassword { .. } => {}
            Action::ForgetCredentials => self.credentials.set_value(None),
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
            .waiters
            .try_update_value(|w| w.remove(&request.0))
            .flatten()
        {
            let _ = tx.send(how);
        }
    }

    /// The user submitted the login form.
    pub fn sign_in(self, username: String, password: String, provider: String) {
        self.login_error.set(None);
        if let Some(device) = self.device.get_untracked() {
            storage::remember_username(&device.id, &username);
        }
        self.credentials.set_value(Some(Credentials {
            username,
            password,
            provider,
        }));
        self.dispatch(Event::LoginSubmitted);
    }

    /// The user pressed "Log out": the token is deleted on the device.
    pub fn logout(self) {
        self.dispatch(Event::LogoutRequested);
        self.identity.set(None);
        self.quota.set(None);
        self.notices.set(Vec::new());
    }

    pub fn change_settings(self, settings: RenewalSettings) {
        storage::save_settings(&settings);
        self.dispatch(Event::SettingsChanged(settings));
    }

    async fn login(self, purpose: LoginPurpose) {
        let Some(creds) = self.credentials.get_value() else {
            self.dispatch(Event::LoginFailed {
                status: 0,
                message: "the password is no longer in memory".into(),
            });
            return;
        };
        let request = LoginRequest {
            username: creds.username.clone(),
            password: creds.password.clone(),
            login_provider_name: creds.provider.clone(),
        };
        let activity_purpose = match purpose {
            LoginPurpose::SignIn => Purpose::SignIn,
            _ => Purpose::AutoLogin,
        };
        let body = serde_json::to_string(&request).unwrap_or_default();
        // Never a token on a login: a stale one would make the device refuse it.
        let result = self
            .send(
                "POST",
                bigip::LOGIN_PATH,
                None,
                Some(body),
                activity_purpose,
            )
            .await
            .and_then(|reply| {
                serde_json::from_str::<LoginReply>(&reply.body)
                    .map_err(|e| ApiError::Unexpected(format!("login reply: {e}")))
            });
        match result {
            Ok(reply) => {
                self.identity.set(Some(Identity {
                    username: creds.username,
                    provider: creds.provider,
                }));
                self.dispatch(Event::LoginSucceeded {
                    token: reply.token,
                    refresh: reply.refresh_token,
                });
            }
            Err(err) => {
                if purpose == LoginPurpose::SignIn {
                    self.login_error.set(Some(err.to_string()));
                }
                let (status, message) = status_and_message(&err);
                self.dispatch(Event::LoginFailed { status, message });
            }
        }
    }

    async fn renew(self, renewal: Renewal) {
        let result = match renewal {
            Renewal::Extend {
                token,
                timeout_secs,
            } => {
                let path = format!("{}/{token}", bigip::TOKENS_PATH);
                let body = serde_json::json!({ "timeout": timeout_secs }).to_string();
                self.send("PATCH", &path, Some(token), Some(body), Purpose::Renewal)
                    .await
                    .and_then(|reply| {
                        serde_json::from_str::<AuthToken>(&reply.body)
                            .map_err(|e| ApiError::Unexpected(format!("token reply: {e}")))
                    })
            }
            Renewal::Exchange { .. } | Renewal::Refresh { .. } => Err(ApiError::Unexpected(
                "this console renews only BIG-IP tokens so far".into(),
            )),
        };
        match result {
            Ok(token) => self.dispatch(Event::RenewSucceeded {
                token,
                refresh: None,
            }),
            Err(err) => {
                let (status, message) = status_and_message(&err);
                self.dispatch(Event::RenewFailed { status, message });
            }
        }
    }

    /// A device call on behalf of the user, with the session's token. A 401 for an expired or
    /// deleted token is recovered by the lifecycle machine (one login, one replay at most).
    pub async fn call(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<Reply, ApiError> {
        self.call_with(method, path, body, &[]).await
    }

    /// [`Console::call`] with extra headers (e.g. a transaction's coordination id).
    pub async fn call_with(
        self,
        method: &str,
        path: &str,
        body: Option<String>,
        extra: &[(&str, String)],
    ) -> Result<Reply, ApiError> {
        let request = RequestId(self.fresh_id());
        let mut purpose = Purpose::User;
        loop {
            let token = self
                .machine
                .with_untracked(|m| m.token_for_requests(now_micros()).map(str::to_owned));
            let result = self
                .send_with(method, path, token.clone(), body.clone(), extra, purpose)
                .await;
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
            self.waiters.update_value(|w| {
                w.insert(request.0, tx);
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

    async fn send(
        self,
        method: &str,
        path: &str,
        token: Option<String>,
        body: Option<String>,
        purpose: Purpose,
    ) -> Result<Reply, ApiError> {
        self.send_with(method, path, token, body, &[], purpose)
            .await
    }

    /// One call through the relay, logged in the Activity list.
    async fn send_with(
        self,
        method: &str,
        path: &str,
        token: Option<String>,
        body: Option<String>,
        extra: &[(&str, String)],
        purpose: Purpose,
    ) -> Result<Reply, ApiError> {
        let Some(device) = self.device.get_untracked() else {
            return Err(ApiError::Unexpected("no device selected".into()));
        };
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        if let Some(token) = &token {
            headers.push((bigip::AUTH_TOKEN_HEADER.into(), token.clone()));
        }
        for (name, value) in extra {
            headers.push(((*name).to_owned(), value.clone()));
        }
        let id = self.fresh_id();
        let started = now_ms();
        self.activity.update(|log| {
            log.insert(
                0,
                ActivityEntry {
                    id,
                    started_ms: started,
                    device: device.name.clone(),
                    call: HttpCall {
                        method: method.to_owned(),
                        url: format!("{}{path}", device.base_url),
                        headers: headers.clone(),
                        body: body.clone(),
                    },
                    path: path.to_owned(),
                    status: None,
                    origin: Origin::Pending,
                    latency_ms: None,
                    purpose,
                },
            );
            log.truncate(ACTIVITY_LIMIT);
        });
        let result = api::device_call(&device.id, method, path, &headers, body).await;
        let (status, origin) = match &result {
            Ok(reply) => (Some(reply.status), Origin::Device),
            Err(ApiError::Device { status, .. }) => (Some(*status), Origin::Device),
            Err(ApiError::Relay { status, .. }) => (Some(*status), Origin::Relay),
            Err(ApiError::Network(_)) => (None, Origin::Network),
            Err(ApiError::Unexpected(_)) => (None, Origin::Device),
        };
        let latency = now_ms() - started;
        self.activity.update(|log| {
            if let Some(entry) = log.iter_mut().find(|e| e.id == id) {
                entry.status = status;
                entry.origin = origin;
                entry.latency_ms = Some(latency);
            }
        });
        result
    }
}

/// The console from context (provided by `App`).
pub fn use_console() -> Console {
    expect_context::<Console>()
}
