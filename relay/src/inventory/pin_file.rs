//! The state file where trust-on-first-use pins are kept (`tokendeck.state.toml` beside the
//! config): device id → `sha256:<hex>`. Written atomically (temporary file, then rename).
//! No credentials are ever written here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PinStoreError {
    #[error("reading the pin state file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("writing the pin state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(default)]
    pins: BTreeMap<String, String>,
}

/// Pins made by users, persisted to `path` when there is one.
#[derive(Debug, Default)]
pub struct PinStore {
    path: Option<PathBuf>,
    pins: Mutex<BTreeMap<String, String>>,
}

impl PinStore {
    /// Pins kept in memory only (tests, `--demo`).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Load `path` (a missing file is an empty store).
    pub fn open(path: &Path) -> Result<Self, PinStoreError> {
        let pins = match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str::<StateFile>(&text)
                    .map_err(|e| PinStoreError::Read {
                        path: path.to_owned(),
                        message: e.to_string(),
                    })?
                    .pins
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(PinStoreError::Read {
                    path: path.to_owned(),
                    message: e.to_string(),
                });
            }
        };
        Ok(Self {
            path: Some(path.to_owned()),
            pins: Mutex::new(pins),
        })
    }

    pub fn get(&self, device_id: &str) -> Option<String> {
        self.lock().get(device_id).cloned()
    }

    /// Record a pin unless the device has one, and persist the whole store. Returns the pin
    /// already there, if any (then nothing changed).
    pub fn set_if_absent(
        &self,
        device_id: &str,
        fingerprint: &str,
    ) -> Result<Option<String>, PinStoreError> {
        let mut pins = self.lock();
        if let Some(existing) = pins.get(device_id) {
            return Ok(Some(existing.clone()));
        }
        pins.insert(device_id.to_owned(), fingerprint.to_owned());
        if let Err(e) = self.save(&pins) {
            pins.remove(device_id);
            return Err(e);
        }
        Ok(None)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.pins.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, pins: &BTreeMap<String, String>) -> Result<(), PinStoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let werr = |source| PinStoreError::Write {
            path: path.clone(),
            source,
        };
        let body = toml::to_string(&StateFile { pins: pins.clone() })
            .map_err(|e| werr(std::io::Error::other(e)))?;
        let text = format!(
            "# Certificate pins made through Tokendeck's trust-on-first-use (POST /api/devices/{{id}}/trust).\n\
             # Device id = \"sha256:<hex of the certificate or public key>\". Safe to edit by hand.\n{body}"
        );
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(werr)?;
        std::fs::rename(&tmp, path).map_err(werr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("tokendeck-pins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokendeck.state.toml");
        let _ = std::fs::remove_file(&path);
        let store = PinStore::open(&path).unwrap();
        assert_eq!(store.get("lab"), None);
        assert_eq!(store.set_if_absent("lab", "sha256:ab").unwrap(), None);
        assert_eq!(
            store.set_if_absent("lab", "sha256:cd").unwrap().as_deref(),
            Some("sha256:ab"),
            "a pin is never replaced through the store"
        );
        let reopened = PinStore::open(&path).unwrap();
        assert_eq!(reopened.get("lab").as_deref(), Some("sha256:ab"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
