//! The Redis backend, for replicas: every replica reads and writes the same Redis.
//!
//! - Pins are one hash (`<prefix>:pins`). A pin is set with `HSETNX`, so the first pin wins
//!   atomically across replicas; every replica reads the hash each second ([`PIN_POLL`]) and
//!   applies what changed (a pin made elsewhere, or one the operator deleted).
//! - A budget is a sorted set (`<prefix>:budget:<key>`) of slots scored by when each stops
//!   counting. One script takes a slot (or says how long until one frees) atomically, on the
//!   Redis server's clock, so replicas whose clocks disagree still count one window.
//! - Redis going away: the error is logged once, with what it means; pins fail closed (the
//!   pins already known still hold, since users never replace one, but nobody can pin and a
//!   device marked `tofu` that is not pinned yet is refused: another replica may have pinned
//!   it); budgets are counted by this replica alone until Redis answers again. The poll that
//!   reads the pins also reconnects.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisError, Script};
use tokio::sync::{Mutex as AsyncMutex, watch};

use super::error::StateError;
use super::local::{Clock, LocalBudgets};
use super::pin_view::PinView;
use super::slots::{Budget, Slot, Wait};

/// How often each replica reads the pins (and, while Redis is away, tries to reconnect).
pub const PIN_POLL: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A sliding window: KEYS[1] the window, ARGV limit, window (ms), member. With a member, take
/// a slot; with an empty one, only check. Returns {1, 0} when there is (was) room, {0, ms until
/// fewer than `limit` slots count} when full: callers with a higher limit may have filled the
/// window past this one's, so that is the (count − limit)-th slot to expire (0-based), the
/// earliest only when the window is exactly full.
static WINDOW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[1])
if count < limit then
  if ARGV[3] ~= '' then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  end
  return {1, 0}
end
local nth = count - limit
local freeing = redis.call('ZRANGE', KEYS[1], nth, nth, 'WITHSCORES')
return {0, tonumber(freeing[2]) - now}
",
    )
});

/// Pin unless pinned: KEYS[1] the pins, ARGV device, fingerprint. Returns nil when pinned now,
/// else the pin already there.
static SET_PIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  return false
end
return redis.call('HGET', KEYS[1], ARGV[1])
",
    )
});

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
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &display_url(&self.url))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "<set>"))
            .field("prefix", &self.prefix)
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

    pub async fn set_pin_if_absent(
        &self,
        device_id: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, StateError> {
        let inner = &self.inner;
        let existing: Option<String> = inner
            .call("pinning", |mut c| async move {
                SET_PIN
                    .key(&inner.pins_key)
                    .arg(device_id)
                    .arg(fingerprint)
                    .invoke_async(&mut c)
                    .await
            })
            .await
            .map_err(|err| StateError::Unreachable {
                url: inner.url.clone(),
                message: err.to_string(),
            })?;
        let pinned = existing.as_deref().unwrap_or(fingerprint).to_owned();
        inner
            .pins
            .send_if_modified(|view| match view.get(device_id) {
                Some(known) if known == pinned => false,
                _ => {
                    *view = view.with(device_id, &pinned);
                    true
                }
            });
        Ok(existing)
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

    /// Read every pin; the view becomes current.
    async fn refresh_pins(&self) -> Result<(), RedisError> {
        let key = self.pins_key.clone();
        let pins: HashMap<String, String> = self
            .call("reading the pins", |mut c| async move {
                redis::cmd("HGETALL").arg(key).query_async(&mut c).await
            })
            .await?;
        if !self.up.swap(true, Ordering::SeqCst) {
            tracing::info!(state = %self.url, pins = pins.len(), "the shared state answers");
        }
        let view = PinView::current(pins.into_iter().collect::<BTreeMap<_, _>>());
        self.pins.send_if_modified(|known| {
            let changed = *known != view;
            if changed {
                *known = view;
            }
            changed
        });
        Ok(())
    }
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
        };
        let debug = format!("{options:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
