//! The replicas' store: what a portal's replicas share (the "shared state" of the operator's
//! documentation): the users' trust-on-first-use pins, and the budgets the relay enforces (each
//! device's requests a minute and calls at once, each client's wrong access keys). One small
//! interface —
//! - pins: [`ReplicaStore::pins`] (get), [`ReplicaStore::set_pin_if_absent`],
//!   [`ReplicaStore::watch_pins`]; with Redis, signed under a generation marker
//!   ([`ReplicaStore::initialise`], `signing`), so a store that lost its data is told apart
//!   from one nobody pinned in;
//! - budgets: [`ReplicaStore::take_slot`] in a sliding window, [`ReplicaStore::release`], and
//!   [`ReplicaStore::check`] (would a slot be free?) —
//!
//! over two backends: `local` (the pin file, or memory, and budgets in memory: one
//! replica) and `redis` (`state = "redis://…"`: every replica counts in the same Redis, the
//! first pin wins atomically, and each replica applies a new pin within seconds). The backends
//! differ only here, in one `match` per operation.
//!
//! A leaf of the relay: it imports nothing else from it.

mod error;
mod generation;
mod local;
mod pin_file;
mod pin_view;
mod redis;
mod signing;
mod slots;
mod windows;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;

pub use self::generation::{InitReport, Marker};
use self::local::LocalStore;
pub use self::local::{Clock, MAX_WINDOWS};
use self::redis::RedisStore;
pub use self::redis::{PIN_POLL, RedisOptions, display_url};
pub use error::StateError;
pub use pin_file::PinFile;
pub use pin_view::{LossReason, PinStatus, PinView, StateLoss};
pub use signing::{MIN_KEY_BYTES, StateKey};
pub use slots::{Budget, Slot, Wait};

/// The pins and budgets of this relay, kept locally or in Redis.
#[derive(Debug)]
pub enum ReplicaStore {
    Local(LocalStore),
    Redis(RedisStore),
}

impl Default for ReplicaStore {
    fn default() -> Self {
        Self::in_memory()
    }
}

impl ReplicaStore {
    /// Pins and budgets in memory only (tests, `--demo`, a relay without a config file).
    pub fn in_memory() -> Self {
        Self::in_memory_with_clock(Arc::new(Instant::now))
    }

    /// [`ReplicaStore::in_memory`] on a clock the caller moves (tests).
    pub fn in_memory_with_clock(clock: Clock) -> Self {
        Self::Local(LocalStore::new(None, clock).expect("memory holds no file to read"))
    }

    /// Pins in the file at `path` (read now; a missing file holds none), budgets in memory.
    pub fn pin_file(path: &Path) -> Result<Self, StateError> {
        Ok(Self::Local(LocalStore::new(
            Some(PinFile::new(path)),
            Arc::new(Instant::now),
        )?))
    }

    /// Everything in the Redis `options` name: connects and reads the pins now.
    pub async fn redis(options: &RedisOptions) -> Result<Self, StateError> {
        Ok(Self::Redis(RedisStore::connect(options).await?))
    }

    /// Where the state is kept, for logs and `relay --check` (never a password).
    pub fn describe(&self) -> String {
        match self {
            Self::Local(store) => store.describe(),
            Self::Redis(store) => store.describe(),
        }
    }

    /// Whether every replica sees the same state.
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Redis(_))
    }

    /// The pin file, when pins are kept in one.
    pub fn pin_file_in_use(&self) -> Option<&PinFile> {
        match self {
            Self::Local(store) => store.file(),
            Self::Redis(_) => None,
        }
    }

    /// The generation marker of a Redis whose pins are signed, as this replica last read it.
    pub fn marker(&self) -> Option<Marker> {
        match self {
            Self::Local(_) => None,
            Self::Redis(store) => store.marker(),
        }
    }

    /// `relay --init-state` (Redis with a signing key only): see `RedisStore::initialise`.
    pub async fn initialise(&self, adopt: bool, force: bool) -> Result<InitReport, StateError> {
        match self {
            Self::Local(_) => Err(StateError::NoSigningKey),
            Self::Redis(store) => store.initialise(adopt, force).await,
        }
    }

    /// Whether the store answers now (the local backend always does).
    pub fn reachable(&self) -> bool {
        match self {
            Self::Local(_) => true,
            Self::Redis(store) => store.reachable(),
        }
    }

    fn pin_sender(&self) -> &watch::Sender<PinView> {
        match self {
            Self::Local(store) => store.pins(),
            Self::Redis(store) => store.pins(),
        }
    }

    /// The pins as this replica knows them now.
    pub fn pins(&self) -> PinView {
        self.pin_sender().borrow().clone()
    }

    /// Follow the pins: the receiver sees every change (a pin made here or on another
    /// replica, one the operator removed, Redis lost or back).
    pub fn watch_pins(&self) -> watch::Receiver<PinView> {
        self.pin_sender().subscribe()
    }

    /// Record a pin unless the device has one. Returns the pin already there, if any (then
    /// nothing changed). The first pin wins, across replicas too.
    pub async fn set_pin_if_absent(
        &self,
        device_id: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, StateError> {
        match self {
            Self::Local(store) => store.set_pin_if_absent(device_id, fingerprint),
            Self::Redis(store) => store.set_pin_if_absent(device_id, fingerprint).await,
        }
    }

    /// Take a slot in `budget`'s window, or learn how long until one frees.
    pub async fn take_slot(&self, budget: &Budget) -> Result<Slot, Wait> {
        match self {
            Self::Local(store) => store.budgets().take(budget),
            Self::Redis(store) => store.take(budget).await,
        }
    }

    /// Whether a slot of `budget` is free now (nothing is taken).
    pub async fn check(&self, budget: &Budget) -> Result<(), Wait> {
        match self {
            Self::Local(store) => store.budgets().check(budget),
            Self::Redis(store) => store.check(budget).await,
        }
    }

    /// Hand a slot back before its window ends.
    pub fn release(&self, slot: Slot) {
        match self {
            Self::Local(store) => store.budgets().release(&slot),
            Self::Redis(store) => store.release(slot),
        }
    }
}
