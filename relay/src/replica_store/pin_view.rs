//! What a replica knows of the users' pins: device id → `sha256:<hex>` (only pins that verified,
//! with Redis), whether that is known to be all of them ([`PinStatus`]: the store may be
//! unreachable, or may have lost its data), and the stored pins it refused (unsigned, or signed
//! with another key). While the store is unreachable or has lost its data, the pins this replica
//! knew still hold, since users never replace a pin.

use std::collections::BTreeMap;
use std::sync::Arc;

/// How far the pins can be trusted to be all there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinStatus {
    /// As the store has them now.
    Current,
    /// The store does not answer.
    Unreachable,
    /// The store answers, but lost its data (or was never initialised): a device nobody
    /// pinned cannot be told from one whose pin was lost.
    Lost(Arc<StateLoss>),
}

/// Why the store's data cannot be trusted to be whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LossReason {
    /// No generation marker. `knew` is the generation this replica had seen, if any.
    NoMarker { knew: Option<String> },
    /// A marker whose signature does not verify with this replica's key.
    ForeignMarker,
}

/// A store that lost its data, as the operator is told about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLoss {
    pub reason: LossReason,
    /// The store, without its password (`redis://host:6379/0`).
    pub url: String,
    /// The marker's key (`tokendeck:state`) and the pins' (`tokendeck:pins`).
    pub marker_key: String,
    pub pins_key: String,
    /// Device and fingerprint of the pins this replica knew when the loss was seen.
    pub known: Vec<(String, String)>,
}

impl std::fmt::Display for StateLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (url, marker, pins) = (&self.url, &self.marker_key, &self.pins_key);
        match &self.reason {
            LossReason::NoMarker { knew: Some(_) } => write!(
                f,
                "the shared state at {url} has lost its data: its generation marker {marker} is \
                 gone (Redis restarted without persistence, was flushed, or failed over to an \
                 empty replica)."
            )?,
            LossReason::NoMarker { knew: None } => write!(
                f,
                "the shared state at {url} has no generation marker ({marker}): it is not \
                 initialised, or it has lost its data (Redis restarted without persistence, was \
                 flushed, or failed over to an empty replica)."
            )?,
            LossReason::ForeignMarker => write!(
                f,
                "the shared state at {url} has a generation marker ({marker}) signed with \
                 another key: give every replica the same state_signing_key_file, or someone \
                 else wrote it."
            )?,
        }
        write!(
            f,
            " Devices open to trust on first use are refused, and nobody can pin, until you \
             either (1) restore Redis from its backup (its append-only file or RDB snapshot, or \
             the keys {marker} and {pins} with RESTORE) — the relay picks it up within a second \
             — or (2) accept the loss: `relay --config … --init-state` (on a new store: run it \
             once), then users pin each device again after comparing fingerprints, or you pin \
             them in the configuration (pin = \"sha256:…\")."
        )?;
        if !self.known.is_empty() {
            let known: Vec<String> = self
                .known
                .iter()
                .map(|(device, fingerprint)| format!("{device} {fingerprint}"))
                .collect();
            write!(f, " Pins this replica knew: {}.", known.join(", "))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinView {
    pins: Arc<BTreeMap<String, String>>,
    status: PinStatus,
    /// Stored pins not applied, by device: why.
    refused: Arc<BTreeMap<String, String>>,
}

impl Default for PinView {
    fn default() -> Self {
        Self::current(BTreeMap::new())
    }
}

impl PinView {
    /// The pins as the store has them now.
    pub fn current(pins: BTreeMap<String, String>) -> Self {
        Self {
            pins: Arc::new(pins),
            status: PinStatus::Current,
            refused: Arc::default(),
        }
    }

    /// The same view, with `refused` the stored pins that were not applied.
    pub fn with_refused(mut self, refused: BTreeMap<String, String>) -> Self {
        self.refused = Arc::new(refused);
        self
    }

    /// The same pins, no longer known to be all there are (a loss already seen stays).
    pub fn stale(&self) -> Self {
        let status = match &self.status {
            PinStatus::Lost(loss) => PinStatus::Lost(loss.clone()),
            _ => PinStatus::Unreachable,
        };
        Self {
            pins: self.pins.clone(),
            status,
            refused: self.refused.clone(),
        }
    }

    /// The same pins, in a store that lost its data.
    pub fn lost(&self, loss: StateLoss) -> Self {
        Self {
            pins: self.pins.clone(),
            status: PinStatus::Lost(Arc::new(loss)),
            refused: Arc::default(),
        }
    }

    /// The same view with one more pin.
    pub fn with(&self, device_id: &str, fingerprint: &str) -> Self {
        let mut pins = (*self.pins).clone();
        pins.insert(device_id.to_owned(), fingerprint.to_owned());
        Self {
            pins: Arc::new(pins),
            status: self.status.clone(),
            refused: self.refused.clone(),
        }
    }

    pub fn get(&self, device_id: &str) -> Option<&str> {
        self.pins.get(device_id).map(String::as_str)
    }

    /// Whether these are known to be all the pins there are.
    pub fn is_current(&self) -> bool {
        self.status == PinStatus::Current
    }

    pub fn status(&self) -> &PinStatus {
        &self.status
    }

    /// The store's loss, if it lost its data.
    pub fn loss(&self) -> Option<&StateLoss> {
        match &self.status {
            PinStatus::Lost(loss) => Some(loss),
            _ => None,
        }
    }

    /// Why the stored pin of `device_id` was not applied, if it was refused.
    pub fn refused(&self, device_id: &str) -> Option<&str> {
        self.refused.get(device_id).map(String::as_str)
    }

    /// Stored pins refused.
    pub fn refused_count(&self) -> usize {
        self.refused.len()
    }

    pub fn len(&self) -> usize {
        self.pins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pins.is_empty()
    }

    pub(crate) fn pins(&self) -> &BTreeMap<String, String> {
        &self.pins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_view_keeps_what_it_knew_and_is_not_current() {
        let view = PinView::current(BTreeMap::from([("lab".into(), "sha256:ab".into())]));
        let loss = StateLoss {
            reason: LossReason::NoMarker {
                knew: Some("g1".into()),
            },
            url: "redis://tokendeck-redis:6379/0".into(),
            marker_key: "tokendeck:state".into(),
            pins_key: "tokendeck:pins".into(),
            known: vec![("lab".into(), "sha256:ab".into())],
        };
        let lost = view.lost(loss);
        assert!(!lost.is_current());
        assert_eq!(lost.get("lab"), Some("sha256:ab"));
        let told = lost.loss().unwrap().to_string();
        for says in [
            "redis://tokendeck-redis:6379/0 has lost its data",
            "tokendeck:state is gone",
            "restore Redis from its backup",
            "--init-state",
            "Pins this replica knew: lab sha256:ab.",
        ] {
            assert!(told.contains(says), "{says:?} missing from {told}");
        }
        // Unreachable on top of a loss is still a loss; on its own, it is not.
        assert!(lost.stale().loss().is_some());
        assert_eq!(view.stale().status(), &PinStatus::Unreachable);
        let refused = view.with_refused(BTreeMap::from([("x".into(), "unsigned".into())]));
        assert_eq!(refused.refused("x"), Some("unsigned"));
        assert_eq!(refused.refused_count(), 1);
        assert!(refused.is_current());
    }
}
