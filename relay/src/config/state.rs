//! Where pins are kept and budgets counted:
//! - `state = "redis://…"` (or `rediss://` for TLS): one Redis for every replica, with
//!   `state_password_file` (AUTH), `state_ca` (the CA of the server's certificate),
//!   `state_prefix` (the keys' prefix) and `state_signing_key_file` (the key pins there are
//!   signed with; needed while users may pin, which `super::Settings::from_file` checks);
//! - else the pin file: `state_file`, or by default `tokendeck.state.toml` in
//!   `$STATE_DIRECTORY` (systemd's `StateDirectory=`), else beside the config file;
//! - else (no config file) memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{ConfigError, invalid};
use super::file::FileConfig;
use crate::replica_store::{MIN_KEY_BYTES, RedisOptions, StateKey};

/// The pin file's name in `$STATE_DIRECTORY`.
pub const PIN_FILE_NAME: &str = "tokendeck.state.toml";
const DEFAULT_PREFIX: &str = "tokendeck";

/// Where the relay keeps its pins and counts its budgets.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// Nowhere lasting: pins are lost when the relay stops.
    Memory,
    /// The pin file of one replica; budgets in its memory.
    PinFile(PathBuf),
    /// A Redis every replica shares.
    Redis(RedisOptions),
}

impl StateLocation {
    /// Read the `state*` keys of `file`; relative paths are resolved against `base`.
    /// `state_directory` is `$STATE_DIRECTORY`, if set.
    pub(super) fn from_file(
        file: &FileConfig,
        base: &Path,
        config_path: Option<&Path>,
        state_directory: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let Some(url) = file.state.as_deref().map(str::trim) else {
            for (key, set) in [
                ("state_password_file", file.state_password_file.is_some()),
                ("state_ca", file.state_ca.is_some()),
                ("state_prefix", file.state_prefix.is_some()),
                (
                    "state_signing_key_file",
                    file.state_signing_key_file.is_some(),
                ),
            ] {
                if set {
                    return Err(invalid(key, "applies only with state = \"redis://…\""));
                }
            }
            return Ok(match (&file.state_file, state_directory, config_path) {
                (Some(path), _, _) => Self::PinFile(base.join(path)),
                (None, Some(dir), _) => Self::PinFile(dir.join(PIN_FILE_NAME)),
                (None, None, Some(config)) => Self::PinFile(config.with_extension("state.toml")),
                (None, None, None) => Self::Memory,
            });
        };
        if file.state_file.is_some() {
            return Err(invalid(
                "state_file",
                "set state (a Redis shared by replicas) or state_file (one replica's pin file), not both",
            ));
        }
        let tls = check_url(url)?;
        let password = match &file.state_password_file {
            None => None,
            Some(_) if url_has_password(url) => {
                return Err(invalid(
                    "state_password_file",
                    "the state URL already holds a password: keep it in one place (better the file)",
                ));
            }
            Some(path) => {
                let path = base.join(path);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    invalid("state_password_file", format!("{}: {e}", path.display()))
                })?;
                Some(text.trim().to_owned())
            }
        };
        let ca_pem = match &file.state_ca {
            None => None,
            Some(_) if !tls => {
                return Err(invalid(
                    "state_ca",
                    "is for TLS: write the state URL as rediss://",
                ));
            }
            Some(path) => {
                let path = base.join(path);
                Some(
                    std::fs::read(&path)
                        .map_err(|e| invalid("state_ca", format!("{}: {e}", path.display())))?,
                )
            }
        };
        let prefix = file
            .state_prefix
            .as_deref()
            .unwrap_or(DEFAULT_PREFIX)
            .to_owned();
        if prefix.is_empty() || prefix.contains(char::is_whitespace) {
            return Err(invalid(
                "state_prefix",
                "must be a word without spaces (keys are <prefix>:pins, <prefix>:budget:…)",
            ));
        }
        let signing_key = match &file.state_signing_key_file {
            None => None,
            Some(path) => Some(Arc::new(signing_key(&base.join(path))?)),
        };
        Ok(Self::Redis(RedisOptions {
            url: url.to_owned(),
            password,
            ca_pem,
            prefix,
            signing_key,
        }))
    }
}

/// The shared signing key in `path`: its content, trimmed, at least [`MIN_KEY_BYTES`] long.
fn signing_key(path: &Path) -> Result<StateKey, ConfigError> {
    let err = |message: String| invalid("state_signing_key_file", message);
    let text = std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    let key = text.trim_ascii();
    if key.len() < MIN_KEY_BYTES {
        return Err(err(format!(
            "{} holds {} bytes; the key must have at least {MIN_KEY_BYTES}: make one with \
             openssl rand -base64 32, and give every replica the same",
            path.display(),
            key.len()
        )));
    }
    Ok(StateKey::new(key))
}

/// Check a Redis URL; `true` for TLS (`rediss://`).
fn check_url(raw: &str) -> Result<bool, ConfigError> {
    let err = |message: &str| invalid("state", message);
    let url = url::Url::parse(raw).map_err(|_| {
        err("must be a Redis URL: redis://host:6379/0, or rediss://host:6380/0 for TLS")
    })?;
    let tls = match url.scheme() {
        "redis" => false,
        "rediss" => true,
        _ => {
            return Err(err(
                "must be a Redis URL (redis:// or rediss://); for one replica's pin file use state_file",
            ));
        }
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("names no host"));
    }
    if url.fragment().is_some() {
        return Err(err(
            "must not end in a #fragment: certificate checks cannot be switched off (use state_ca for a private CA)",
        ));
    }
    if url.query().is_some() {
        return Err(err(
            "must not carry ?options: use state_password_file, state_ca and state_prefix",
        ));
    }
    let db = url.path().trim_start_matches('/');
    if !db.is_empty() && db.parse::<u16>().is_err() {
        return Err(err(
            "the path must be a database number, e.g. redis://host:6379/0",
        ));
    }
    Ok(tls)
}

fn url_has_password(raw: &str) -> bool {
    url::Url::parse(raw).is_ok_and(|u| u.password().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(state: Option<&str>) -> FileConfig {
        FileConfig {
            state: state.map(str::to_owned),
            ..FileConfig::default()
        }
    }

    #[test]
    fn the_pin_file_goes_to_state_file_then_the_state_directory_then_beside_the_config() {
        let base = Path::new("/etc/tokendeck");
        let config = base.join("tokendeck.toml");
        let systemd = Path::new("/var/lib/tokendeck");
        let at = |f: &FileConfig, dir: Option<&Path>, config: Option<&Path>| {
            match StateLocation::from_file(f, base, config, dir).unwrap() {
                StateLocation::PinFile(path) => Some(path),
                _ => None,
            }
        };
        let explicit = FileConfig {
            state_file: Some("pins.toml".into()),
            ..FileConfig::default()
        };
        assert_eq!(
            at(&explicit, Some(systemd), Some(&config)).unwrap(),
            base.join("pins.toml")
        );
        assert_eq!(
            at(&file(None), Some(systemd), Some(&config)).unwrap(),
            systemd.join(PIN_FILE_NAME)
        );
        assert_eq!(
            at(&file(None), None, Some(&config)).unwrap(),
            base.join("tokendeck.state.toml")
        );
        assert!(matches!(
            StateLocation::from_file(&file(None), base, None, None).unwrap(),
            StateLocation::Memory
        ));
    }

    #[test]
    fn redis_urls_are_checked() {
        let base = Path::new("/etc/tokendeck");
        for good in [
            "redis://127.0.0.1:6379",
            "redis://redis.tokendeck.svc:6379/2",
            "rediss://tokendeck:pw@redis.example.com:6380/0",
        ] {
            let location = StateLocation::from_file(&file(Some(good)), base, None, None);
            assert!(matches!(location, Ok(StateLocation::Redis(_))), "{good}");
        }
        for (bad, says) in [
            ("https://redis.example.com", "redis://"),
            ("redis.example.com:6379", "Redis URL"),
            ("rediss://redis.example.com/#insecure", "certificate"),
            ("redis://redis.example.com/?db=1", "state_password_file"),
            ("redis://redis.example.com/x", "database number"),
        ] {
            let err = StateLocation::from_file(&file(Some(bad)), base, None, None)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("state:") && err.contains(says),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn redis_with_tofu_needs_a_signing_key_of_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("short"), "too-short\n").unwrap();
        std::fs::write(dir.path().join("good"), format!("{}\n", "k".repeat(44))).unwrap();
        let with_key = |key: &str| FileConfig {
            state_signing_key_file: Some(key.into()),
            ..file(Some("redis://127.0.0.1"))
        };
        let err = StateLocation::from_file(&with_key("short"), dir.path(), None, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("state_signing_key_file") && err.contains("9 bytes"),
            "{err}"
        );
        assert!(err.contains("openssl rand -base64 32"), "{err}");
        let err = StateLocation::from_file(&with_key("missing"), dir.path(), None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
        let Ok(StateLocation::Redis(options)) =
            StateLocation::from_file(&with_key("good"), dir.path(), None, None)
        else {
            panic!("a good key is read")
        };
        assert!(options.signing_key.is_some());
        let without_redis = FileConfig {
            state_signing_key_file: Some("good".into()),
            ..file(None)
        };
        let err = StateLocation::from_file(&without_redis, dir.path(), None, None).unwrap_err();
        assert!(err.to_string().contains("redis://"), "{err}");
    }

    #[test]
    fn redis_options_make_sense_only_together() {
        let base = Path::new("/etc/tokendeck");
        let mut f = file(None);
        f.state_ca = Some("ca.pem".into());
        let err = StateLocation::from_file(&f, base, None, None).unwrap_err();
        assert!(err.to_string().contains("state_ca"), "{err}");
        let mut f = file(Some("redis://127.0.0.1"));
        f.state_ca = Some("ca.pem".into());
        let err = StateLocation::from_file(&f, base, None, None).unwrap_err();
        assert!(err.to_string().contains("rediss://"), "{err}");
        let mut f = file(Some("redis://127.0.0.1"));
        f.state_file = Some("pins.toml".into());
        let err = StateLocation::from_file(&f, base, None, None).unwrap_err();
        assert!(err.to_string().contains("not both"), "{err}");
        let mut f = file(Some("redis://:pw@127.0.0.1"));
        f.state_password_file = Some("pw".into());
        let err = StateLocation::from_file(&f, base, None, None).unwrap_err();
        assert!(err.to_string().contains("one place"), "{err}");
    }
}
