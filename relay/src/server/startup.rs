//! Start-up checks that need I/O, run alike by the relay's start and by `relay --check`, so both
//! tell the same truth: the replicas' store opens (with trust on first use on, the pin file's
//! folder takes a new file; Redis answers, with its password and TLS), and what an operator
//! should know about the configuration (printed by `--check`, logged at start-up).

use shared::kind::DeviceKind;

use crate::config::{Settings, StateLocation};
use crate::inventory::device_budget;
use crate::replica_store::{PinFile, ReplicaStore, StateError};

/// Why the relay cannot start as configured. Each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "trust on first use is on ({why}), but pins cannot be saved: {error}. Do one of: set \
         state_file to a writable place (under systemd, StateDirectory= sets $STATE_DIRECTORY, \
         which the relay uses by default; in a container, mount a volume there); use state = \
         \"redis://…\" (needed anyway with more than one replica); or switch trust on first use \
         off (allow_tofu = false) and pin devices in the configuration"
    )]
    PinsNotWritable { why: String, error: StateError },
    #[error(
        "{error}. Fix or remove the file (it holds only the pins users made; a device pinned \
         there must then be pinned again)"
    )]
    PinsUnreadable { error: StateError },
    #[error(
        "{error}. Check state (host, port, database), the password (state_password_file, or \
         the ACL user in the URL) and TLS (rediss://, and state_ca for a private CA); the relay \
         does not start without its pins"
    )]
    StateUnreachable { error: StateError },
}

/// Why users may pin something on this relay, if they may.
pub fn why_tofu(settings: &Settings) -> Option<String> {
    if !settings.allow_tofu {
        return None;
    }
    let marked: Vec<&str> = settings
        .devices
        .iter()
        .filter(|d| d.tofu)
        .map(|d| d.id.as_str())
        .collect();
    match (marked.as_slice(), settings.ad_hoc.enabled()) {
        ([], false) => None,
        ([], true) => Some("allow_tofu = true, and ad-hoc devices are allowed".into()),
        (ids, _) => Some(format!(
            "allow_tofu = true, and tofu = true on {}",
            ids.join(", ")
        )),
    }
}

/// Open where pins are kept and budgets counted, as `settings` say, checking that it works.
pub async fn open_state(settings: &Settings) -> Result<ReplicaStore, StartupError> {
    match &settings.state {
        // With trust on first use off, nobody pins: stored pins would not apply anyway.
        StateLocation::PinFile(_) | StateLocation::Memory if !settings.allow_tofu => {
            Ok(ReplicaStore::in_memory())
        }
        StateLocation::Memory => Ok(ReplicaStore::in_memory()),
        StateLocation::PinFile(path) => {
            if let Some(why) = why_tofu(settings) {
                PinFile::new(path)
                    .check_writable()
                    .map_err(|error| StartupError::PinsNotWritable { why, error })?;
            }
            ReplicaStore::pin_file(path).map_err(|error| StartupError::PinsUnreadable { error })
        }
        StateLocation::Redis(options) => ReplicaStore::redis(options)
            .await
            .map_err(|error| StartupError::StateUnreachable { error }),
    }
}

/// What an operator should know: settings that work, but probably not as meant.
pub fn warnings(settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(bodies_over_device_limits(settings));
    let shared = matches!(settings.state, StateLocation::Redis(_));
    if !shared && !settings.listen.ip().is_loopback() {
        out.push(
            "pins, device budgets and wrong-key lockouts are this replica's own: with more than \
             one replica, set state = \"redis://…\" so they are counted once for all"
                .into(),
        );
    }
    if matches!(settings.state, StateLocation::Memory) && why_tofu(settings).is_some() {
        out.push(
            "pins users make are kept in memory only and lost when the relay stops: run it with \
             a config file (the pin file goes beside it), state_file, or state = \"redis://…\""
                .into(),
        );
    }
    out
}

/// One warning per kind whose devices accept smaller bodies than `[limits] max_body_bytes`:
/// the relay holds those devices to their own limit, which the operator may not expect.
fn bodies_over_device_limits(settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    for kind in DeviceKind::ALL {
        let profile = shared::devices::profile(kind);
        let Some(accepted) = profile.max_body_bytes else {
            continue;
        };
        if settings.limits.max_body as u64 <= accepted {
            continue;
        }
        let ids: Vec<&str> = settings
            .devices
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        out.push(format!(
            "[limits] max_body_bytes = {} is more than a {} accepts ({accepted} bytes): the relay \
             forwards at most {accepted} bytes to {}",
            settings.limits.max_body,
            profile.label,
            ids.join(", ")
        ));
    }
    out
}

/// One line per device with a budget, for logs and `--check`.
pub fn budget_lines(settings: &Settings) -> Vec<String> {
    settings
        .devices
        .iter()
        .filter_map(|d| {
            let budget = device_budget(d.kind, settings.budgets.get(&d.id));
            (!budget.is_none()).then(|| format!("{}: {}", d.id, budget.describe()))
        })
        .collect()
}
