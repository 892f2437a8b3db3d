//! The pin file of the local backend (`tokendeck.state.toml`: in `$STATE_DIRECTORY`, or beside
//! the config, or where `state_file` says): device id → `sha256:<hex>`. Written atomically
//! (a temporary file, then a rename). No credentials are ever written here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::StateError;

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    #[serde(default)]
    pins: BTreeMap<String, String>,
}

/// Where the pins are written.
#[derive(Clone, Debug)]
pub struct PinFile {
    path: PathBuf,
}

impl PinFile {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pins in the file (a missing file holds none).
    pub fn load(&self) -> Result<BTreeMap<String, String>, StateError> {
        let read_error = |message: String| StateError::Read {
            path: self.path.clone(),
            message,
        };
        match std::fs::read_to_string(&self.path) {
            Ok(text) => Ok(toml::from_str::<StateFile>(&text)
                .map_err(|e| read_error(e.to_string()))?
                .pins),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(read_error(e.to_string())),
        }
    }

    /// Whether a pin could be saved here: the folder exists and takes a new file (the file is
    /// replaced by a rename, so the folder must be writable, not just the file).
    pub fn check_writable(&self) -> Result<(), StateError> {
        let probe = self
            .path
            .with_extension(format!("write-check-{}", std::process::id()));
        let written = std::fs::write(&probe, b"");
        let _ = std::fs::remove_file(&probe);
        written.map_err(|source| StateError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// Write all `pins`.
    pub fn save(&self, pins: &BTreeMap<String, String>) -> Result<(), StateError> {
        let werr = |source| StateError::Write {
            path: self.path.clone(),
            source,
        };
        let body = toml::to_string(&StateFile { pins: pins.clone() })
            .map_err(|e| werr(std::io::Error::other(e)))?;
        let text = format!(
            "# Certificate pins made through Tokendeck's trust-on-first-use (POST /api/devices/{{id}}/trust).\n\
             # Device id = \"sha256:<hex of the certificate or public key>\". Safe to edit by hand.\n{body}"
        );
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(werr)?;
        std::fs::rename(&tmp, &self.path).map_err(werr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tokendeck-pin-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn pins_are_written_whole_and_read_back() {
        let dir = temp_dir("round-trip");
        let file = PinFile::new(&dir.join("tokendeck.state.toml"));
        assert!(
            file.load().unwrap().is_empty(),
            "a missing file holds no pins"
        );
        file.check_writable().unwrap();
        let pins = BTreeMap::from([("lab".to_string(), "sha256:ab".to_string())]);
        file.save(&pins).unwrap();
        assert_eq!(file.load().unwrap(), pins);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary or probe file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_not_writable_and_says_where() {
        let dir = temp_dir("missing");
        let file = PinFile::new(&dir.join("no-such-folder/tokendeck.state.toml"));
        let err = file.check_writable().unwrap_err().to_string();
        assert!(err.contains("no-such-folder"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_path() {
        let dir = temp_dir("damaged");
        let path = dir.join("tokendeck.state.toml");
        std::fs::write(&path, "pins = [").unwrap();
        let err = PinFile::new(&path).load().unwrap_err().to_string();
        assert!(err.contains("tokendeck.state.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
