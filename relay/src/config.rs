//! `tokendeck.toml`: the relay's configuration file, with every key overridable by an
//! environment variable (`env`), validated into [`Settings`]: the serde shape of the file
//! (`file`), one device entry (`device`), the server's limits (`limits`), where pins and
//! budgets are kept (`state`).
//!
//! Values only: nothing here serves requests. `tokendeck.example.toml` at the repository root
//! documents every key.

mod device;
mod env;
mod error;
mod file;
mod limits;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::guard::{AccessPolicy, ProxyPolicy};
use crate::inventory::adhoc::AdHocPolicy;
use crate::inventory::{BudgetSetting, DeviceConfig, Timeouts};
pub use device::DeviceFile;
use device::device_config;
pub use env::env_id;
pub use error::ConfigError;
use error::invalid;
pub use file::{FileConfig, LimitsFile, LogFormat};
pub use limits::{DEFAULT_MAX_BODY, Limits};
pub use state::{PIN_FILE_NAME, StateLocation};

/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Everything the relay runs with, validated.
#[derive(Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub dist: Option<PathBuf>,
    pub log_format: LogFormat,
    pub devices: Vec<DeviceConfig>,
    pub timeouts: Timeouts,
    pub limits: Limits,
    pub access: AccessPolicy,
    /// Who the client is behind the operator's proxies.
    pub proxies: ProxyPolicy,
    pub allow_tofu: bool,
    /// Where trust-on-first-use pins are kept and budgets counted.
    pub state: StateLocation,
    /// The operator's budget settings, by device id.
    pub budgets: HashMap<String, BudgetSetting>,
    pub ad_hoc: AdHocPolicy,
}

impl Settings {
    /// Read `path` (if any), apply `TOKENDECK_*` variables from `env`, and validate.
    /// `STATE_DIRECTORY` in `env` (systemd's `StateDirectory=`) is where the pin file goes by
    /// default.
    pub fn load(
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        // systemd may list several directories, separated by colons: the first is ours.
        let state_directory = env
            .iter()
            .rev()
            .find(|(k, _)| k == "STATE_DIRECTORY")
            .and_then(|(_, v)| v.split(':').next())
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from);
        let mut table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Parse {
                        path: path.to_owned(),
                        message: e.to_string(),
                    })?
            }
            None => toml::Table::new(),
        };
        let ignored = env::apply_env(&mut table, env)?;
        let file: FileConfig =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    path: path
                        .map(Path::to_owned)
                        .unwrap_or_else(|| "environment".into()),
                    message: e.to_string(),
                })?;
        let base = path
            .and_then(Path::parent)
            .map(Path::to_owned)
            .unwrap_or_default();
        let settings = Self::from_file(file, &base, path, state_directory.as_deref())?;
        Ok((settings, ignored))
    }

    /// Validate a parsed file; relative paths are resolved against `base`.
    pub fn from_file(
        file: FileConfig,
        base: &Path,
        config_path: Option<&Path>,
        state_directory: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let state = StateLocation::from_file(&file, base, config_path, state_directory)?;
        let listen: SocketAddr = file
            .listen
            .as_deref()
            .unwrap_or(DEFAULT_LISTEN)
            .parse()
            .map_err(|e| invalid("listen", format!("{e}; expected e.g. 127.0.0.1:8080")))?;
        let access_key = match (&file.access_key, &file.access_key_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "access_key",
                    "set access_key or access_key_file, not both",
                ));
            }
            (Some(key), None) => Some(key.clone()),
            (None, Some(key_file)) => {
                let key_path = base.join(key_file);
                let key = std::fs::read_to_string(&key_path).map_err(|e| {
                    invalid("access_key_file", format!("{}: {e}", key_path.display()))
                })?;
                Some(key.trim().to_owned())
            }
            (None, None) => None,
        };
        let access = AccessPolicy::new(
            file.allowed_hosts,
            file.allowed_origins,
            access_key,
            file.insecure_no_access_key,
        )
        .map_err(|(key, message)| invalid(key, message))?;
        access
            .exposure(listen)
            .map_err(|unguarded| invalid("access_key", unguarded.to_string()))?;
        let (timeouts, limits) = limits_from(&file.limits)?;
        let ad_hoc = AdHocPolicy::parse(&file.ad_hoc.allowed)
            .map_err(|message| invalid("ad_hoc.allowed", message))?;
        let proxies = ProxyPolicy::new(&file.trusted_proxies, file.proxy_user_header.as_deref())
            .map_err(|(key, message)| invalid(key, message))?;
        let mut devices = Vec::new();
        let mut budgets = HashMap::new();
        for entry in file.devices {
            let (device, budget) = device_config(entry, base)?;
            if let Some(budget) = budget {
                budgets.insert(device.id.clone(), budget);
            }
            devices.push(device);
        }
        let allow_tofu = file.allow_tofu.unwrap_or(true);
        if let StateLocation::Redis(redis) = &state
            && redis.signing_key.is_none()
            && let Some(why) = why_tofu(allow_tofu, &devices, &ad_hoc)
        {
            return Err(invalid(
                "state_signing_key_file",
                format!(
                    "is needed with state = \"redis://…\" while users may pin ({why}): pins in \
                     Redis are signed with it, so a Redis that loses its data cannot reopen \
                     trust on first use, and one written by someone else cannot plant a pin. \
                     Make one key for every replica (openssl rand -base64 32 > \
                     state-signing-key), set state_signing_key_file to it, and run relay \
                     --init-state once"
                ),
            ));
        }
        Ok(Self {
            listen,
            dist: file.dist.map(|d| base.join(d)),
            log_format: file.log_format.unwrap_or_default(),
            devices,
            timeouts,
            limits,
            access,
            proxies,
            allow_tofu,
            state,
            budgets,
            ad_hoc,
        })
    }
}

impl Settings {
    /// Why users may pin something on this relay, if they may.
    pub fn why_tofu(&self) -> Option<String> {
        why_tofu(self.allow_tofu, &self.devices, &self.ad_hoc)
    }
}

/// Why users may pin something, if they may: `allow_tofu`, and a device marked `tofu = true`
/// or ad-hoc devices allowed.
fn why_tofu(allow_tofu: bool, devices: &[DeviceConfig], ad_hoc: &AdHocPolicy) -> Option<String> {
    if !allow_tofu {
        return None;
    }
    let marked: Vec<&str> = devices
        .iter()
        .filter(|d| d.tofu)
        .map(|d| d.id.as_str())
        .collect();
    match (marked.as_slice(), ad_hoc.enabled()) {
        ([], false) => None,
        ([], true) => Some("allow_tofu = true, and ad-hoc devices are allowed".into()),
        (ids, _) => Some(format!(
            "allow_tofu = true, and tofu = true on {}",
            ids.join(", ")
        )),
    }
}

/// The device-side timeouts and the server's limits from `[limits]`; zero is refused.
fn limits_from(file: &LimitsFile) -> Result<(Timeouts, Limits), ConfigError> {
    let ms = |key: &str, v: Option<u64>, default: Duration| match v {
        Some(0) => Err(invalid(
            format!("limits.{key}"),
            "must be greater than zero",
        )),
        Some(v) => Ok(Duration::from_millis(v)),
        None => Ok(default),
    };
    let count = |key: &str, v: Option<usize>, default: usize| match v {
        Some(0) => Err(invalid(
            format!("limits.{key}"),
            "must be greater than zero",
        )),
        Some(v) => Ok(v),
        None => Ok(default),
    };
    let t = Timeouts::default();
    let timeouts = Timeouts {
        connect: ms("connect_timeout_ms", file.connect_timeout_ms, t.connect)?,
        request: ms("request_timeout_ms", file.request_timeout_ms, t.request)?,
        reply_idle: ms(
            "reply_idle_timeout_ms",
            file.reply_idle_timeout_ms,
            t.reply_idle,
        )?,
        pool_idle: ms(
            "pool_idle_timeout_s",
            file.pool_idle_timeout_s.map(|s| s.saturating_mul(1000)),
            t.pool_idle,
        )?,
    };
    let l = Limits::default();
    let max_connections = count("max_connections", file.max_connections, l.max_connections)?;
    let max_in_flight = count("max_in_flight", file.max_in_flight, l.max_in_flight)?;
    // A client's share: half its cap unless set; never more than the cap.
    let share = |key: &str, v: Option<usize>, cap_key: &str, cap: usize| {
        let share = count(key, v, (cap / 2).max(1))?;
        if share > cap {
            return Err(invalid(
                format!("limits.{key}"),
                format!("must not exceed limits.{cap_key} ({cap})"),
            ));
        }
        Ok(share)
    };
    let limits = Limits {
        header_read_timeout: ms(
            "header_read_timeout_ms",
            file.header_read_timeout_ms,
            l.header_read_timeout,
        )?,
        body_read_timeout: ms(
            "body_read_timeout_ms",
            file.body_read_timeout_ms,
            l.body_read_timeout,
        )?,
        send_timeout: ms("send_timeout_ms", file.send_timeout_ms, l.send_timeout)?,
        shutdown_deadline: ms(
            "shutdown_deadline_ms",
            file.shutdown_deadline_ms,
            l.shutdown_deadline,
        )?,
        // Zero is allowed: no load balancer to wait for.
        drain_delay: file
            .drain_delay_ms
            .map_or(l.drain_delay, Duration::from_millis),
        max_connections,
        max_connections_per_client: share(
            "max_connections_per_client",
            file.max_connections_per_client,
            "max_connections",
            max_connections,
        )?,
        max_in_flight,
        max_in_flight_per_client: share(
            "max_in_flight_per_client",
            file.max_in_flight_per_client,
            "max_in_flight",
            max_in_flight,
        )?,
        max_body: count("max_body_bytes", file.max_body_bytes, l.max_body)?,
        max_reply: count(
            "max_reply_bytes",
            file.max_reply_bytes.map(|v| v as usize),
            l.max_reply as usize,
        )? as u64,
    };
    Ok((timeouts, limits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::TrustPolicy;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        // Removed when this returns: loading reads the file, and paths beside it are only named.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokendeck.toml");
        std::fs::write(&path, text).unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load(Some(&path), env).map(|(s, _)| s)
    }

    const ONE_DEVICE: &str = r#"
        [[devices]]
        id = "lab-bigip"
        name = "Lab"
        kind = "bigip"
        base_url = "https://10.1.1.245"
        pin = "sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"
    "#;

    #[test]
    fn defaults_are_loopback_tofu_and_a_state_file_beside_the_config() {
        let s = load(ONE_DEVICE, &[]).unwrap();
        assert_eq!(s.listen, DEFAULT_LISTEN.parse().unwrap());
        assert!(s.allow_tofu);
        let StateLocation::PinFile(pins) = &s.state else {
            panic!("{:?}", s.state)
        };
        assert!(pins.ends_with("tokendeck.state.toml"));
        assert_eq!(s.devices[0].trust.summary().clone(), {
            TrustPolicy::pin(&format!("sha256:{}", "ab".repeat(32)))
                .unwrap()
                .summary()
        });
    }

    #[test]
    fn environment_overrides_keys_sections_and_devices() {
        let s = load(
            ONE_DEVICE,
            &[
                ("TOKENDECK_ALLOW_TOFU", "false"),
                ("TOKENDECK_LIMITS__REQUEST_TIMEOUT_MS", "200"),
                ("TOKENDECK_DEVICES__LAB_BIGIP__NAME", "Renamed"),
                (
                    "TOKENDECK_ALLOWED_HOSTS",
                    "relay.example.com, other.example.com",
                ),
            ],
        )
        .unwrap();
        assert!(!s.allow_tofu);
        assert_eq!(s.timeouts.request, Duration::from_millis(200));
        assert_eq!(s.devices[0].name, "Renamed");
        assert_eq!(s.access.allowed_hosts.len(), 2);
    }

    #[test]
    fn refuses_a_public_listen_address_without_an_access_key() {
        let err = load(ONE_DEVICE, &[("TOKENDECK_LISTEN", "0.0.0.0:8080")]).unwrap_err();
        assert!(err.to_string().contains("access_key"), "{err}");
        let ok = load(
            ONE_DEVICE,
            &[
                ("TOKENDECK_LISTEN", "0.0.0.0:8080"),
                ("TOKENDECK_ACCESS_KEY", "correct-horse-battery-staple"),
            ],
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn the_example_config_in_the_repository_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tokendeck.example.toml");
        let s = Settings::load(Some(&path), []).unwrap().0;
        assert_eq!(s.devices.len(), 3);
        assert_eq!(s.listen, DEFAULT_LISTEN.parse().unwrap());
    }

    #[test]
    fn limits_have_defaults_and_refuse_zero() {
        let s = load(ONE_DEVICE, &[]).unwrap();
        assert_eq!(s.limits, Limits::default());
        assert_eq!(s.limits.max_body, 2_048_000);
        let s = load(
            ONE_DEVICE,
            &[
                ("TOKENDECK_LIMITS__MAX_IN_FLIGHT", "8"),
                ("TOKENDECK_LIMITS__HEADER_READ_TIMEOUT_MS", "1500"),
                ("TOKENDECK_LIMITS__REPLY_IDLE_TIMEOUT_MS", "700"),
            ],
        )
        .unwrap();
        assert_eq!(s.limits.max_in_flight, 8);
        assert_eq!(s.limits.header_read_timeout, Duration::from_millis(1500));
        assert_eq!(s.timeouts.reply_idle, Duration::from_millis(700));
        let err = load(ONE_DEVICE, &[("TOKENDECK_LIMITS__MAX_CONNECTIONS", "0")]).unwrap_err();
        assert!(err.to_string().contains("limits.max_connections"), "{err}");
    }

    #[test]
    fn per_client_shares_default_to_half_the_cap_and_must_fit_it() {
        let s = load(ONE_DEVICE, &[("TOKENDECK_LIMITS__MAX_CONNECTIONS", "100")]).unwrap();
        assert_eq!(s.limits.max_connections_per_client, 50);
        assert_eq!(s.limits.max_in_flight_per_client, 128);
        let s = load(
            ONE_DEVICE,
            &[
                ("TOKENDECK_LIMITS__MAX_IN_FLIGHT", "1"),
                ("TOKENDECK_LIMITS__MAX_CONNECTIONS_PER_CLIENT", "20"),
            ],
        )
        .unwrap();
        assert_eq!(s.limits.max_in_flight_per_client, 1);
        assert_eq!(s.limits.max_connections_per_client, 20);
        for (var, value) in [
            ("TOKENDECK_LIMITS__MAX_CONNECTIONS_PER_CLIENT", "0"),
            ("TOKENDECK_LIMITS__MAX_CONNECTIONS_PER_CLIENT", "513"),
            ("TOKENDECK_LIMITS__MAX_IN_FLIGHT_PER_CLIENT", "257"),
        ] {
            let err = load(ONE_DEVICE, &[(var, value)]).unwrap_err().to_string();
            let key = var["TOKENDECK_LIMITS__".len()..].to_ascii_lowercase();
            assert!(err.contains(&format!("limits.{key}")), "{err}");
        }
    }

    #[test]
    fn tofu_only_for_devices_without_a_trust_policy_of_their_own() {
        let tofu = r#"
            [[devices]]
            id = "lab"
            name = "Lab"
            kind = "bigip"
            base_url = "https://10.1.1.245"
            tofu = true
        "#;
        let s = load(tofu, &[]).unwrap();
        assert!(s.devices[0].tofu);
        assert_eq!(s.devices[0].trust, TrustPolicy::Ca { roots_pem: None });
        for own in ["ca = \"system\"", "insecure = true", "pin = \"sha256:00\""] {
            let err = load(&format!("{tofu}\n{own}"), &[]).unwrap_err();
            assert!(err.to_string().contains("tofu"), "{own}: {err}");
        }
        let unmarked = load(
            ONE_DEVICE,
            &[("TOKENDECK_DEVICES__LAB_BIGIP__TOFU", "true")],
        );
        assert!(
            unmarked.is_err(),
            "a pinned device cannot be opened to TOFU"
        );
    }

    #[test]
    fn an_ad_hoc_allowlist_of_nearly_everything_is_refused_at_start_up() {
        let err = load(
            ONE_DEVICE,
            &[("TOKENDECK_AD_HOC__ALLOWED", "0.0.0.0/1,128.0.0.0/1")],
        )
        .unwrap_err();
        assert!(err.to_string().contains("ad_hoc.allowed"), "{err}");
        assert!(load(ONE_DEVICE, &[("TOKENDECK_AD_HOC__ALLOWED", "10.1.0.0/16")]).is_ok());
    }

    #[test]
    fn refuses_bad_devices() {
        for bad in [
            r#"[[devices]]
            id = "x"
            name = "x"
            kind = "bigip"
            base_url = "http://10.0.0.1""#,
            r#"[[devices]]
            id = "x"
            name = "x"
            kind = "bigip"
            base_url = "https://u:p@10.0.0.1""#,
            r#"[[devices]]
            id = "x"
            name = "x"
            kind = "bigip"
            base_url = "https://10.0.0.1"
            insecure = true
            pin = "sha256:00""#,
            r#"[[devices]]
            id = "../x"
            name = "x"
            kind = "bigip"
            base_url = "https://10.0.0.1""#,
            r#"unknown_key = 1"#,
        ] {
            assert!(load(bad, &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn systemd_state_directory_holds_the_pin_file_unless_state_file_says_otherwise() {
        let s = load(
            ONE_DEVICE,
            &[("STATE_DIRECTORY", "/var/lib/tokendeck:/var/lib/other")],
        )
        .unwrap();
        let StateLocation::PinFile(pins) = &s.state else {
            panic!("{:?}", s.state)
        };
        assert_eq!(pins, Path::new("/var/lib/tokendeck/tokendeck.state.toml"));
        let s = load(
            ONE_DEVICE,
            &[
                ("STATE_DIRECTORY", "/var/lib/tokendeck"),
                ("TOKENDECK_STATE", "redis://127.0.0.1:6379/0"),
            ],
        )
        .unwrap();
        assert!(matches!(s.state, StateLocation::Redis(_)));
    }

    #[test]
    fn redis_with_users_pinning_needs_the_signing_key() {
        let tofu = r#"
            state = "redis://127.0.0.1:6379/0"

            [[devices]]
            id = "lab"
            name = "Lab"
            kind = "bigip"
            base_url = "https://10.1.1.245"
            tofu = true
        "#;
        let err = load(tofu, &[]).unwrap_err().to_string();
        for says in [
            "state_signing_key_file",
            "tofu = true on lab",
            "--init-state",
        ] {
            assert!(err.contains(says), "{says:?} missing from {err}");
        }
        assert!(load(tofu, &[("TOKENDECK_ALLOW_TOFU", "false")]).is_ok());
    }

    #[test]
    fn device_budgets_trusted_proxies_and_the_drain_delay_are_read() {
        let fmc = r#"
            trusted_proxies = ["10.0.0.0/8", "192.0.2.1"]
            proxy_user_header = "X-Forwarded-User"

            [limits]
            drain_delay_ms = 0

            [[devices]]
            id = "fmc"
            name = "FMC"
            kind = "fmc"
            base_url = "https://10.1.1.5"
            tofu = true
            requests_per_minute = 60
        "#;
        let s = load(fmc, &[("TOKENDECK_DEVICES__FMC__CONCURRENT_CALLS", "0")]).unwrap();
        assert_eq!(
            s.budgets["fmc"],
            BudgetSetting {
                per_minute: Some(60),
                concurrent: Some(0)
            }
        );
        assert_eq!(s.limits.drain_delay, Duration::ZERO);
        assert_eq!(Limits::default().drain_delay, Duration::from_secs(5));
        for catch_all in ["0.0.0.0/0", "0.0.0.0/1,128.0.0.0/1"] {
            let err = load(fmc, &[("TOKENDECK_TRUSTED_PROXIES", catch_all)]).unwrap_err();
            assert!(err.to_string().contains("trusted_proxies"), "{err}");
        }
        let err = load(ONE_DEVICE, &[("TOKENDECK_PROXY_USER_HEADER", "X-User")]).unwrap_err();
        assert!(err.to_string().contains("trusted_proxies"), "{err}");
    }
}
