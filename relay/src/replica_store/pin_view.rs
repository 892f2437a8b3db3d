//! What a replica knows of the users' pins: device id → `sha256:<hex>`, and whether that is
//! known to be current (the Redis backend loses that while Redis is unreachable; the pins it
//! knew still hold, since users never replace a pin).

use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinView {
    pins: Arc<BTreeMap<String, String>>,
    current: bool,
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
            current: true,
        }
    }

    /// The same pins, no longer known to be all there are.
    pub fn stale(&self) -> Self {
        Self {
            pins: self.pins.clone(),
            current: false,
        }
    }

    /// The same view with one more pin.
    pub fn with(&self, device_id: &str, fingerprint: &str) -> Self {
        let mut pins = (*self.pins).clone();
        pins.insert(device_id.to_owned(), fingerprint.to_owned());
        Self {
            pins: Arc::new(pins),
            current: self.current,
        }
    }

    pub fn get(&self, device_id: &str) -> Option<&str> {
        self.pins.get(device_id).map(String::as_str)
    }

    /// Whether these are known to be all the pins there are.
    pub fn is_current(&self) -> bool {
        self.current
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
