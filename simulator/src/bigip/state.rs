//! The state of one simulated BIG-IP: its configuration and its token, node and transaction
//! tables, each behind its own lock.

use std::sync::{Arc, Mutex, MutexGuard};

use super::node_table::NodeTable;
use super::token_store::TokenStore;
use super::transaction_store::TransactionStore;
use crate::config::SimConfig;
use crate::users::User;

/// Shared state of one simulated BIG-IP. Each table sits behind its own lock; a transaction
/// commit takes the transaction lock and then the node lock, always in that order.
#[derive(Clone)]
pub struct BigIp {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    tokens: Mutex<TokenStore>,
    nodes: Mutex<NodeTable>,
    transactions: Mutex<TransactionStore>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl BigIp {
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                tokens: Mutex::default(),
                nodes: Mutex::default(),
                transactions: Mutex::default(),
            }),
        }
    }

    pub(super) fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    /// Every local account.
    pub(super) fn users(&self) -> &[User] {
        &self.inner.config.users
    }

    pub(super) fn user(&self, name: &str) -> Option<&User> {
        self.users().iter().find(|u| u.name == name)
    }

    /// `tmos` and the configured remote providers.
    pub(super) fn providers(&self) -> impl Iterator<Item = &str> {
        std::iter::once("tmos").chain(
            self.inner
                .config
                .remote_providers
                .iter()
                .map(String::as_str),
        )
    }

    pub(super) fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        locked(&self.inner.tokens)
    }

    pub(super) fn nodes(&self) -> MutexGuard<'_, NodeTable> {
        locked(&self.inner.nodes)
    }

    pub(super) fn transactions(&self) -> MutexGuard<'_, TransactionStore> {
        locked(&self.inner.transactions)
    }
}
