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
    #[error(
        "--init-state gives the replicas' Redis its generation marker: it needs state = \
         \"redis://…\" and state_signing_key_file"
    )]
    NotRedis,
    #[error("{error}")]
    NotInitialised { error: StateError },
}

/// Why users may pin something on this relay, if they may.
pub fn why_tofu(settings: &Settings) -> Option<String> {
    settings.why_tofu()
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

/// Why the shared state cannot be used as it is (`relay --check` fails with this): a Redis
/// whose pins are signed, but which has lost its data or was never initialised. `None` when
/// it can.
pub fn state_problem(state: &ReplicaStore) -> Option<String> {
    state.pins().loss().map(ToString::to_string)
}

/// What `relay --check` says of a Redis whose pins are signed: its generation, and its pins.
pub fn state_summary(state: &ReplicaStore) -> Option<String> {
    let marker = state.marker()?;
    let pins = state.pins();
    Some(format!(
        "shared state: generation {} (created {}), {} pin(s) signed, {} refused",
        marker.generation,
        created(&marker.created),
        pins.len(),
        pins.refused_count()
    ))
}

/// `relay --init-state`: give the replicas' Redis a generation marker (see
/// `crate::replica_store::ReplicaStore::initialise`), and what to tell the operator.
pub async fn init_state(
    settings: &Settings,
    adopt: bool,
    force: bool,
) -> Result<Vec<String>, StartupError> {
    let StateLocation::Redis(options) = &settings.state else {
        return Err(StartupError::NotRedis);
    };
    let state = ReplicaStore::redis(options)
        .await
        .map_err(|error| StartupError::StateUnreachable { error })?;
    let report = state
        .initialise(adopt, force)
        .await
        .map_err(|error| StartupError::NotInitialised { error })?;
    let mut out = vec![if report.fresh {
        format!(
            "initialised {}: generation {} (created {}). Every replica applies it within a \
             second; pins of any earlier generation no longer apply.",
            state.describe(),
            report.marker.generation,
            created(&report.marker.created)
        )
    } else {
        format!(
            "{} is already initialised: generation {} (created {}); nothing changed.",
            state.describe(),
            report.marker.generation,
            created(&report.marker.created)
        )
    }];
    out.push(format!(
        "{} pin(s) signed for this generation",
        report.signed
    ));
    for (device, fingerprint) in &report.adopted {
        out.push(format!("adopted the pin of {device}: {fingerprint}"));
    }
    for (device, why) in &report.refused {
        out.push(format!("refused, not applied: the pin of {device}, {why}"));
    }
    if report
        .refused
        .iter()
        .any(|(_, why)| why.starts_with("sha256:"))
    {
        out.push(
            "the refused pins keep their devices from being dialled: check each fingerprint \
             against its device, then run again with --adopt-pins to sign them, or remove them \
             (HDEL <prefix>:pins <device>) to let users pin those devices again"
                .into(),
        );
    }
    Ok(out)
}

/// Unix seconds as a UTC date and time, for the operator.
fn created(unix: &str) -> String {
    let Ok(secs) = unix.parse::<i64>() else {
        return unix.to_owned();
    };
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
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
    let wide = settings.proxies.wide_public_ranges();
    if !wide.is_empty() {
        let wide: Vec<String> = wide.iter().map(ToString::to_string).collect();
        out.push(format!(
            "trusted_proxies: {} hold many public addresses, and whoever connects from one may \
             say who the client is: list only your ingress's addresses or network",
            wide.join(", ")
        ));
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

#[cfg(test)]
mod tests {
    use super::created;

    #[test]
    fn creation_times_read_as_dates() {
        assert_eq!(created("0"), "1970-01-01 00:00:00 UTC");
        assert_eq!(created("1700000000"), "2023-11-14 22:13:20 UTC");
        assert_eq!(created("951782400"), "2000-02-29 00:00:00 UTC");
        assert_eq!(created("soon"), "soon");
    }
}
