//! The Redis backend, for replicas: every replica reads and writes the same Redis.
//!
//! - Pins are one hash (`<prefix>:pins`). A pin is set with `HSETNX`, so the first pin wins
//!   atomically across replicas; every replica reads the hash each second ([`PIN_POLL`]) and
//!   applies what changed (a pin made elsewhere, or one the operator deleted).
//! - A budget is a sorted set (`<prefix>:budget:<key>`) of slots scored by when each stops
//!   counting. One script takes a slot (or says how long until one frees) atomically, on the
//!   Redis server's clock, so replicas whose clocks disagree still count one window.
//! - Pins are signed (`super::signing`, with `state_signing_key_file`) under the store's
//!   generation marker (`<prefix>:state`, written by `relay --init-state`), read together with
//!   the pins by one script so the read is never torn. A store without a valid marker has lost
//!   its data (a restart without persistence, a flush, a failover to an empty replica): its
//!   view is `PinStatus::Lost` and pins fail closed as below; a pin that does not verify is
//!   refused, not applied. A pin is written only while the marker's generation is the one the
//!   writer knows, so nothing is pinned into a store that lost its data.
//! - Redis going away: the error is logged once, with what it means; pins fail closed (the
//!   pins already known still hold, since users never replace one, but nobody can pin and a
//!   device marked `tofu` that is not pinned yet is refused: another replica may have pinned
//!   it); budgets are counted by this replica alone until Redis answers again. The poll that
//!   reads the pins also reconnects.

mod scripts;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisError};
use tokio::sync::{Mutex as AsyncMutex, watch};

use super::error::StateError;
use super::generation::{Adoption, InitReport, Marker, Signed};
use super::local::{Clock, LocalBudgets};
use super::pin_view::{LossReason, PinView, StateLoss};
use super::signing::{PinRefusal, StateKey, fingerprint_of};
use super::slots::{Budget, Slot, Wait};
use scripts::{INIT, READ, RESIGN, SET_PIN, WINDOW};

/// Refused stored pins remembered as logged (past this, forgotten at once: logged again).
const MAX_LOGGED_REFUSALS: usize = 1024;

/// How often each replica reads the pins (and, while Redis is away, tries to reconnect).
pub const PIN_POLL: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How to reach the Redis server.
#[derive(Clone)]
pub struct RedisOptions {
    /// `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
    pub url: String,
    /// The password (`AUTH`), when not in the URL (`state_password_file`).
    pub password: Option<String>,
    /// The CA that issued the server's certificate (PEM), instead of the system roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Prefix of every key, so several portals can share one Redis.
    pub prefix: String,
    /// The key pins and the generation marker are signed with (`state_signing_key_file`);
    /// without one (no trust on first use), pins are neither signed nor checked.
    pub signing_key: Option<Arc<StateKey>>,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &display_url(&self.url))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<set>"))
            .field("prefix", &self.prefix)
            .field("signing_key", &self.signing_key.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// A Redis URL as logs may show it: without its password.
pub fn display_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(None);
            }
            parsed.to_string()
        }
        Err(_) => "(an unreadable Redis URL)".into(),
    }
}

/// The pins and budgets of every replica, in one Redis.
pub struct RedisStore {
    inner: Arc<Inner>,
    poll: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.poll.abort();
    }
}

struct Inner {
    client: Client,
    /// The server, without its password.
    url: String,
    pins_key: String,
    budget_prefix: String,
    connection: AsyncMutex<Option<MultiplexedConnection>>,
    up: AtomicBool,
    pins: watch::Sender<PinView>,
    /// The marker's key (`<prefix>:state`), and the prefix pins are signed under.
    marker_key: String,
    prefix: String,
    key: Option<Arc<StateKey>>,
    /// The last valid marker this replica read.
    marker: Mutex<Option<Marker>>,
    /// Refused stored pins already logged (device, value), so each is logged once.
    logged_refusals: Mutex<HashSet<(String, String)>>,
    /// This replica's own count, while Redis is away.
    fallback: LocalBudgets,
    /// Slot names start with this replica's own random prefix.
    replica: String,
    next_slot: AtomicU64,
}

impl RedisStore {
    /// Connect, read the pins, and start following them. Fails when Redis cannot be reached
    /// or refuses the relay (wrong password, TLS): a replica never starts without its pins.
    pub async fn connect(options: &RedisOptions) -> Result<Self, StateError> {
        let url = display_url(&options.url);
        let unreachable = |err: RedisError| StateError::Unreachable {
            url: url.clone(),
            message: err.to_string(),
        };
        let mut info = options
            .url
            .as_str()
            .into_connection_info()
            .map_err(unreachable)?;
        if let Some(password) = &options.password {
            let settings = info.redis_settings().clone().set_password(password);
            info = info.set_redis_settings(settings);
        }
        let client = match &options.ca_pem {
            Some(pem) => Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            ),
            None => Client::open(info),
        }
        .map_err(unreachable)?;
        let inner = Arc::new(Inner {
            client,
            url: url.clone(),
            pins_key: format!("{}:pins", options.prefix),
            budget_prefix: format!("{}:budget:", options.prefix),
            connection: AsyncMutex::new(None),
            up: AtomicBool::new(false),
            pins: watch::Sender::new(PinView::default().stale()),
            marker_key: format!("{}:state", options.prefix),
            prefix: options.prefix.clone(),
            key: options.signing_key.clone(),
            marker: Mutex::new(None),
            logged_refusals: Mutex::new(HashSet::new()),
            fallback: LocalBudgets::new(Arc::new(Instant::now) as Clock),
            replica: replica_prefix(),
            next_slot: AtomicU64::new(1),
        });
        inner.refresh_pins().await.map_err(unreachable)?;
        let poll = tokio::spawn(poll_pins(Arc::downgrade(&inner)));
        Ok(Self { inner, poll })
    }

    pub fn describe(&self) -> String {
        format!("Redis at {}", self.inner.url)
    }

    pub fn pins(&self) -> &watch::Sender<PinView> {
        &self.inner.pins
    }

    pub fn reachable(&self) -> bool {
        self.inner.up.load(Ordering::SeqCst)
    }

    /// The generation marker this replica last read (none: not initialised, lost, or pins
    /// are not signed).
    pub fn marker(&self) -> Option<Marker> {
        lock(&self.inner.marker).clone()
    }

    pub async fn set_pin_if_absent(
        &self,
        device_id: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, StateError> {
        let inner = &self.inner;
        let (value, generation) = match inner.signed() {
            None => (fingerprint.to_owned(), String::new()),
            Some(signed) => {
                let Some(marker) = self.marker() else {
                    return Err(StateError::Lost {
                        url: inner.url.clone(),
                    });
                };
                let value = signed.pin_value(&marker.generation, device_id, fingerprint);
                (value, marker.generation)
            }
        };
        let answer: Vec<String> = inner
            .call("pinning", |mut c| {
                let (value, generation) = (&value, &generation);
                async move {
                    SET_PIN
                        .key(&inner.pins_key)
                        .key(&inner.marker_key)
                        .arg(device_id)
                        .arg(value)
                        .arg(generation)
                        .invoke_async(&mut c)
                        .await
                }
            })
            .await
            .map_err(|err| StateError::Unreachable {
                url: inner.url.clone(),
                message: err.to_string(),
            })?;
        let (pinned, existing) = match answer.as_slice() {
            [done] if done == "pinned" => (Some(fingerprint.to_owned()), None),
            [exists, value] if exists == "exists" => {
                let verified = inner.verify_pin(&generation, device_id, value).ok();
                (verified, Some(fingerprint_of(value).to_owned()))
            }
            _ => {
                return Err(StateError::Lost {
                    url: inner.url.clone(),
                });
            }
        };
        if let Some(pinned) = pinned {
            inner
                .pins
                .send_if_modified(|view| match view.get(device_id) {
                    Some(known) if known == pinned => false,
                    _ => {
                        *view = view.with(device_id, &pinned);
                        true
                    }
                });
        }
        Ok(existing)
    }

    /// `relay --init-state`: give the store a generation marker if it has no valid one (a new
    /// store, or one that lost its data; one signed with another key only with `force`), and
    /// report its pins. With `adopt`, pins that do not verify (unsigned ones from before pins
    /// were signed, or ones of an earlier generation) are signed under the generation.
    pub async fn initialise(&self, adopt: bool, force: bool) -> Result<InitReport, StateError> {
        let inner = &self.inner;
        let Some(signed) = inner.signed() else {
            return Err(StateError::NoSigningKey);
        };
        let (state, pins) = inner.read().await.map_err(|e| inner.unreachable(&e))?;
        let read_generation = state.get("generation").cloned().unwrap_or_default();
        let (marker, fresh) = match signed.marker(&state, None) {
            Ok(marker) => (marker, false),
            Err(LossReason::ForeignMarker) if !force => {
                return Err(StateError::ForeignMarker {
                    url: inner.url.clone(),
                    marker_key: inner.marker_key.clone(),
                });
            }
            Err(_) => {
                let now = std::time::UNIX_EPOCH
                    .elapsed()
                    .unwrap_or_default()
                    .as_secs();
                let (marker, sig) =
                    signed
                        .new_marker(now)
                        .map_err(|_| StateError::Unreachable {
                            url: inner.url.clone(),
                            message: "no randomness for a new generation".into(),
                        })?;
                let written: i64 = inner
                    .call("initialising", |mut c| {
                        let marker = &marker;
                        async move {
                            INIT.key(&inner.marker_key)
                                .arg(&marker.generation)
                                .arg(&marker.created)
                                .arg(sig)
                                .arg(read_generation)
                                .invoke_async(&mut c)
                                .await
                        }
                    })
                    .await
                    .map_err(|e| inner.unreachable(&e))?;
                if written != 1 {
                    return Err(StateError::Raced {
                        url: inner.url.clone(),
                    });
                }
                (marker, true)
            }
        };
        let sorted = signed.sort(&marker.generation, pins);
        let mut report = InitReport {
            signed: sorted.pins.len(),
            marker,
            fresh,
            adopted: Vec::new(),
            refused: Vec::new(),
        };
        for (device, stored, why) in sorted.refused {
            let generation = &report.marker.generation;
            let (fingerprint, value) =
                match signed.adoption(generation, &device, &stored, &why, adopt) {
                    Adoption::Leave(why) => {
                        report.refused.push((device, why));
                        continue;
                    }
                    Adoption::Sign { fingerprint, value } => (fingerprint, value),
                };
            let replaced: i64 = inner
                .call("signing a pin", |mut c| {
                    let (device, stored) = (&device, &stored);
                    async move {
                        RESIGN
                            .key(&inner.pins_key)
                            .arg(device)
                            .arg(stored)
                            .arg(value)
                            .invoke_async(&mut c)
                            .await
                    }
                })
                .await
                .map_err(|e| inner.unreachable(&e))?;
            if replaced == 1 {
                report.adopted.push((device, fingerprint));
            } else {
                report
                    .refused
                    .push((device, "it changed meanwhile: run again".into()));
            }
        }
        let _ = inner.refresh_pins().await;
        Ok(report)
    }

    pub async fn take(&self, budget: &Budget) -> Result<Slot, Wait> {
        let inner = &self.inner;
        let member = format!(
            "{}-{}",
            inner.replica,
            inner.next_slot.fetch_add(1, Ordering::Relaxed)
        );
        match inner.window(budget, &member).await {
            Some(Ok(key)) => Ok(Slot {
                key: key.into(),
                member,
                local: false,
            }),
            Some(Err(wait)) => Err(wait),
            None => inner.fallback.take(budget),
        }
    }

    pub async fn check(&self, budget: &Budget) -> Result<(), Wait> {
        match self.inner.window(budget, "").await {
            Some(room) => room.map(|_key| ()),
            None => self.inner.fallback.check(budget),
        }
    }

    /// Hand a slot back (in the background: nothing waits for it). A slot that cannot be
    /// handed back stops counting when its window ends.
    pub fn release(&self, slot: Slot) {
        if slot.local {
            self.inner.fallback.release(&slot);
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = self.inner.clone();
        runtime.spawn(async move {
            let _ = inner
                .call("handing back a slot", |mut c| async move {
                    redis::cmd("ZREM")
                        .arg(&*slot.key)
                        .arg(&slot.member)
                        .query_async::<i64>(&mut c)
                        .await
                })
                .await;
        });
    }
}

impl Inner {
    /// Take a slot named `member` in `budget`'s window (check only, for an empty member).
    /// `None` when Redis cannot answer: the caller counts here instead.
    async fn window(&self, budget: &Budget, member: &str) -> Option<Result<String, Wait>> {
        if !self.up.load(Ordering::SeqCst) {
            return None;
        }
        let key = format!("{}{}", self.budget_prefix, budget.key);
        let window_ms = budget.window.as_millis() as u64;
        let answer = self
            .call("counting a budget", |mut c| {
                let key = key.clone();
                async move {
                    WINDOW
                        .key(key)
                        .arg(budget.limit)
                        .arg(window_ms)
                        .arg(member)
                        .invoke_async::<(i64, i64)>(&mut c)
                        .await
                }
            })
            .await
            .ok()?;
        Some(match answer {
            (1, _) => Ok(key),
            (_, wait_ms) => Err(Wait(millis(wait_ms))),
        })
    }

    /// The connection, made if there is none.
    async fn connection(&self) -> Result<MultiplexedConnection, RedisError> {
        let mut held = self.connection.lock().await;
        if let Some(connection) = held.as_ref() {
            return Ok(connection.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *held = Some(connection.clone());
        Ok(connection)
    }

    /// Run `op` on the connection; a failure marks Redis unreachable (and is logged once).
    async fn call<T, F, Fut>(&self, doing: &str, op: F) -> Result<T, RedisError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = Result<T, RedisError>>,
    {
        let result = match self.connection().await {
            Ok(connection) => op(connection).await,
            Err(err) => Err(err),
        };
        if let Err(err) = &result {
            self.lost(doing, err).await;
        }
        result
    }

    async fn lost(&self, doing: &str, err: &RedisError) {
        *self.connection.lock().await = None;
        if self.up.swap(false, Ordering::SeqCst) {
            tracing::error!(
                state = %self.url,
                error = %err,
                "the shared state is unreachable ({doing}): pins fail closed — nobody can pin, \
                 and devices marked tofu that are not pinned yet are refused — and budgets are \
                 counted by this replica alone, until it answers again"
            );
        }
        self.pins.send_if_modified(|view| {
            let was_current = view.is_current();
            *view = view.stale();
            was_current
        });
    }

    fn unreachable(&self, err: &RedisError) -> StateError {
        StateError::Unreachable {
            url: self.url.clone(),
            message: err.to_string(),
        }
    }

    /// The marker and the pins, in one read.
    async fn read(
        &self,
    ) -> Result<(HashMap<String, String>, BTreeMap<String, String>), RedisError> {
        let (state, pins): (HashMap<String, String>, BTreeMap<String, String>) = self
            .call("reading the pins", |mut c| async move {
                READ.key(&self.marker_key)
                    .key(&self.pins_key)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok((state, pins))
    }

    /// The signed state under this replica's key, if pins are signed.
    fn signed(&self) -> Option<Signed<'_>> {
        let key = self.key.as_deref()?;
        Some(Signed {
            key,
            prefix: &self.prefix,
        })
    }

    /// The fingerprint of a stored pin, if it verifies (always, when pins are not signed).
    fn verify_pin(
        &self,
        generation: &str,
        device: &str,
        value: &str,
    ) -> Result<String, PinRefusal> {
        match self.signed() {
            None => Ok(value.to_owned()),
            Some(signed) => signed.verify(generation, device, value),
        }
    }

    /// Read the marker and every pin; the view becomes current, or lost.
    async fn refresh_pins(&self) -> Result<(), RedisError> {
        let (state, stored) = self.read().await?;
        if !self.up.swap(true, Ordering::SeqCst) {
            tracing::info!(state = %self.url, pins = stored.len(), "the shared state answers");
        }
        let before = self.pins.borrow().clone();
        let view = match self.signed() {
            None => PinView::current(stored),
            Some(signed) => self.judge(&signed, &state, stored, &before),
        };
        match (before.loss(), view.loss()) {
            (None, Some(loss)) => tracing::error!(state = %self.url, "{loss}"),
            (Some(was), Some(loss)) if was.reason != loss.reason => {
                tracing::error!(state = %self.url, "{loss}")
            }
            (Some(_), None) => {
                let marker = lock(&self.marker).clone().unwrap_or_default();
                tracing::info!(
                    state = %self.url,
                    generation = %marker.generation,
                    pins = view.len(),
                    "the shared state's generation marker is valid again: pins apply as stored"
                );
            }
            _ => {}
        }
        self.pins.send_if_modified(|known| {
            let changed = *known != view;
            if changed {
                *known = view;
            }
            changed
        });
        Ok(())
    }

    /// The view of `stored` under the marker in `state`: the pins that verify, the ones
    /// refused, or a loss keeping what `before` knew.
    fn judge(
        &self,
        signed: &Signed<'_>,
        state: &HashMap<String, String>,
        stored: BTreeMap<String, String>,
        before: &PinView,
    ) -> PinView {
        let knew = lock(&self.marker).clone();
        let marker = match signed.marker(state, knew.as_ref()) {
            Ok(marker) => marker,
            Err(reason) => {
                let known = before
                    .pins()
                    .iter()
                    .map(|(device, fingerprint)| (device.clone(), fingerprint.clone()))
                    .collect();
                return before.lost(StateLoss {
                    reason,
                    url: self.url.clone(),
                    marker_key: self.marker_key.clone(),
                    pins_key: self.pins_key.clone(),
                    known,
                });
            }
        };
        if knew.is_some_and(|k| k.generation != marker.generation) {
            tracing::info!(
                state = %self.url,
                generation = %marker.generation,
                "the shared state was re-initialised by the operator: pins of the old \
                 generation no longer apply"
            );
        }
        let sorted = signed.sort(&marker.generation, stored);
        *lock(&self.marker) = Some(marker);
        let mut refused = BTreeMap::new();
        for (device, value, why) in sorted.refused {
            self.log_refusal(&device, &value, &why);
            refused.insert(device, why.to_string());
        }
        PinView::current(sorted.pins).with_refused(refused)
    }

    /// Log a refused stored pin, once per device and value.
    fn log_refusal(&self, device: &str, value: &str, why: &PinRefusal) {
        let mut logged = lock(&self.logged_refusals);
        if logged.len() >= MAX_LOGGED_REFUSALS {
            logged.clear();
        }
        if !logged.insert((device.to_owned(), value.to_owned())) {
            return;
        }
        drop(logged);
        tracing::error!(
            state = %self.url,
            device = %device,
            stored = %fingerprint_of(value),
            "refusing the stored pin of {device}: {why}. The device is not dialled until the \
             operator removes it (HDEL {} {device}) or adopts it after checking its fingerprint \
             (relay --init-state --adopt-pins)",
            self.pins_key
        );
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Read the pins every [`PIN_POLL`] while the store lives.
async fn poll_pins(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(PIN_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let _ = inner.refresh_pins().await;
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

/// A random prefix for this replica's slot names, so replicas never name two slots alike.
fn replica_prefix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::UNIX_EPOCH
            .elapsed()
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_logs_never_carry_the_password() {
        let shown = display_url("rediss://tokendeck:s3cret@redis.example.com:6380/2");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("tokendeck@redis.example.com:6380/2"),
            "{shown}"
        );
        let options = RedisOptions {
            url: "redis://:s3cret@127.0.0.1".into(),
            password: Some("other-s3cret".into()),
            ca_pem: None,
            prefix: "tokendeck".into(),
            signing_key: Some(Arc::new(StateKey::new(&[7; 32]))),
        };
        let debug = format!("{options:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
