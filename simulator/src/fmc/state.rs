//! The state of one simulated FMC: its configuration, sessions, the per-user rate limiter and
//! the host objects, each behind its own lock.

use std::sync::{Arc, Mutex, MutexGuard};

use super::error::FmcError;
use super::host_store::HostStore;
use super::rate_limit::RateLimiter;
use super::sessions::SessionStore;
use crate::config::SimConfig;
use crate::users::User;

/// Shared state of one simulated FMC.
#[derive(Clone)]
pub struct Fmc {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    sessions: Mutex<SessionStore>,
    limiter: Mutex<RateLimiter>,
    hosts: Mutex<HostStore>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fmc {
    pub fn new(config: SimConfig) -> Self {
        let now = config.clock.now_micros();
        Self {
            inner: Arc::new(Inner {
                config,
                sessions: Mutex::default(),
                limiter: Mutex::default(),
                hosts: Mutex::new(HostStore::with_demo_hosts(now)),
            }),
        }
    }

    pub(super) fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    pub(super) fn user(&self, name: &str) -> Option<&User> {
        self.inner.config.users.iter().find(|u| u.name == name)
    }

    /// Whether a new login ends the same user's older sessions.
    pub(super) fn session_takeover(&self) -> bool {
        self.inner.config.session_takeover
    }

    pub(super) fn sessions(&self) -> MutexGuard<'_, SessionStore> {
        locked(&self.inner.sessions)
    }

    /// Count one request of `user` against the per-minute limit.
    pub(super) fn admit(&self, user: &str) -> Result<(), FmcError> {
        locked(&self.inner.limiter).admit(user, self.now_micros())
    }

    pub(super) fn hosts(&self) -> MutexGuard<'_, HostStore> {
        locked(&self.inner.hosts)
    }
}
