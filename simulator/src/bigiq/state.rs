//! The state of one simulated BIG-IQ. Tokens are self-contained JWTs, so the state is the
//! signing key, a generation counter and the tokens deleted before their end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::jwt::Signer;
use super::revocations::Revocations;
use super::tokens::{self, BigIqTokenError, Checked, TokenType};
use crate::config::SimConfig;
use crate::users::User;

/// Shared state of one simulated BIG-IQ.
#[derive(Clone)]
pub struct BigIq {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    signer: Signer,
    generation: AtomicU64,
    revocations: Mutex<Revocations>,
    /// When the device "booted", for uptime.
    started_micros: i64,
}

impl BigIq {
    pub fn new(config: SimConfig) -> Self {
        let started_micros = config.clock.now_micros();
        Self {
            inner: Arc::new(Inner {
                config,
                signer: Signer::generate(),
                generation: AtomicU64::new(1),
                revocations: Mutex::default(),
                started_micros,
            }),
        }
    }

    pub(super) fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    /// When the device "booted", for uptime.
    pub(super) fn started_micros(&self) -> i64 {
        self.inner.started_micros
    }

    /// The key the device signs its tokens with.
    pub(super) fn signer(&self) -> &Signer {
        &self.inner.signer
    }

    pub(super) fn user(&self, name: &str) -> Option<&User> {
        self.inner.config.users.iter().find(|u| u.name == name)
    }

    pub(super) fn remote_providers(&self) -> &[String] {
        &self.inner.config.remote_providers
    }

    pub(super) fn next_generation(&self) -> u64 {
        self.inner.generation.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn revocations(&self) -> MutexGuard<'_, Revocations> {
        self.inner
            .revocations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A token this device issued, of `kind` (any when `None`), not expired and not deleted.
    /// A deleted token reads as one that does not exist.
    pub(super) fn live_token(
        &self,
        token: &str,
        kind: Option<TokenType>,
    ) -> Result<Checked, BigIqTokenError> {
        let checked = tokens::check(&self.inner.signer, token, kind, self.now_micros())?;
        if self.revocations().is_revoked(&checked.jti) {
            return Err(BigIqTokenError::Unknown);
        }
        Ok(checked)
    }
}
