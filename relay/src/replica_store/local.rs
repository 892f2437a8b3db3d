//! The local backend: pins in this replica's pin file (or in memory), budgets in its memory.
//! Right for one replica; with several, each would keep its own pins and counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use super::error::StateError;
use super::pin_file::PinFile;
use super::pin_view::PinView;
use super::slots::{Budget, Slot, Wait};
use super::windows::Windows;

/// Where "now" comes from (tests move it by hand).
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// Windows kept at most (each budget key is one: a device's requests, an address's wrong keys).
pub const MAX_WINDOWS: usize = 10_000;

/// A replica's own budgets: sliding windows in memory.
pub struct LocalBudgets {
    windows: Mutex<Windows>,
    clock: Clock,
    next: AtomicU64,
}

impl std::fmt::Debug for LocalBudgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBudgets").finish_non_exhaustive()
    }
}

impl LocalBudgets {
    pub fn new(clock: Clock) -> Self {
        Self {
            windows: Mutex::new(Windows::new(MAX_WINDOWS)),
            clock,
            next: AtomicU64::new(1),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, Windows> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn take(&self, budget: &Budget) -> Result<Slot, Wait> {
        let member = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        let now = (self.clock)();
        self.windows()
            .take(&budget.key, budget.limit, budget.window, &member, now)
            .map_err(Wait)?;
        Ok(Slot {
            key: budget.key.clone(),
            member,
            local: true,
        })
    }

    pub fn check(&self, budget: &Budget) -> Result<(), Wait> {
        let now = (self.clock)();
        self.windows()
            .check(&budget.key, budget.limit, now)
            .map_err(Wait)
    }

    pub fn release(&self, slot: &Slot) {
        self.windows().release(&slot.key, &slot.member);
    }
}

/// Pins in a file (or memory) and budgets in memory.
#[derive(Debug)]
pub struct LocalStore {
    file: Option<PinFile>,
    pins: watch::Sender<PinView>,
    /// Held across a pin write, so the file always holds every pin.
    writes: Mutex<()>,
    budgets: LocalBudgets,
}

impl LocalStore {
    pub fn new(file: Option<PinFile>, clock: Clock) -> Result<Self, StateError> {
        let pins = match &file {
            Some(file) => file.load()?,
            None => Default::default(),
        };
        Ok(Self {
            file,
            pins: watch::Sender::new(PinView::current(pins)),
            writes: Mutex::new(()),
            budgets: LocalBudgets::new(clock),
        })
    }

    pub fn describe(&self) -> String {
        match &self.file {
            Some(file) => format!("the pin file {}", file.path().display()),
            None => "memory (pins are lost when the relay stops)".into(),
        }
    }

    /// The pin file, if pins are kept in one.
    pub fn file(&self) -> Option<&PinFile> {
        self.file.as_ref()
    }

    pub fn pins(&self) -> &watch::Sender<PinView> {
        &self.pins
    }

    pub fn set_pin_if_absent(
        &self,
        device_id: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, StateError> {
        let _one_writer = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        let view = self.pins.borrow().clone();
        if let Some(existing) = view.get(device_id) {
            return Ok(Some(existing.to_owned()));
        }
        let next = view.with(device_id, fingerprint);
        if let Some(file) = &self.file {
            file.save(next.pins())?;
        }
        self.pins.send_replace(next);
        Ok(None)
    }

    pub fn budgets(&self) -> &LocalBudgets {
        &self.budgets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_pin_stays_and_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("tokendeck-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokendeck.state.toml");
        let _ = std::fs::remove_file(&path);
        let clock: Clock = Arc::new(Instant::now);
        let store = LocalStore::new(Some(PinFile::new(&path)), clock.clone()).unwrap();
        let mut watching = store.pins().subscribe();
        assert_eq!(store.set_pin_if_absent("lab", "sha256:ab").unwrap(), None);
        assert!(watching.has_changed().unwrap(), "watchers see the new pin");
        assert_eq!(watching.borrow_and_update().get("lab"), Some("sha256:ab"));
        assert_eq!(
            store
                .set_pin_if_absent("lab", "sha256:cd")
                .unwrap()
                .as_deref(),
            Some("sha256:ab"),
            "a pin is never replaced through the store"
        );
        let reopened = LocalStore::new(Some(PinFile::new(&path)), clock).unwrap();
        assert_eq!(reopened.pins().borrow().get("lab"), Some("sha256:ab"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
