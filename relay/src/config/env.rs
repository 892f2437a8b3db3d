//! Environment overrides for `tokendeck.toml`.
//!
//! Scheme: `TOKENDECK_` followed by the key's path in upper case, sections and device ids
//! separated by a double underscore; in a device id, `-` and `.` become `_`.
//!
//! | key in the file                      | variable                                   |
//! |--------------------------------------|--------------------------------------------|
//! | `listen`                             | `TOKENDECK_LISTEN`                         |
//! | `allowed_hosts` (list)               | `TOKENDECK_ALLOWED_HOSTS=a.example,b.example` |
//! | `[limits] request_timeout_ms`        | `TOKENDECK_LIMITS__REQUEST_TIMEOUT_MS`     |
//! | `[ad_hoc] allowed` (list)            | `TOKENDECK_AD_HOC__ALLOWED=10.0.0.0/8`     |
//! | `state` (shared Redis)               | `TOKENDECK_STATE=redis://redis:6379/0`     |
//! | `pin` of the device `lab-bigip`      | `TOKENDECK_DEVICES__LAB_BIGIP__PIN`        |
//!
//! Lists are comma-separated; booleans are `true`/`false`. A variable for a device overrides a
//! key of a device the file defines; it cannot add devices. `TOKENDECK_CONFIG` names the file.

use super::error::ConfigError;

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Int,
    List,
}

const TOP: &[(&str, Kind)] = &[
    ("listen", Kind::Str),
    ("dist", Kind::Str),
    ("log_format", Kind::Str),
    ("allowed_hosts", Kind::List),
    ("allowed_origins", Kind::List),
    ("access_key", Kind::Str),
    ("access_key_file", Kind::Str),
    ("insecure_no_access_key", Kind::Bool),
    ("allow_tofu", Kind::Bool),
    ("state_file", Kind::Str),
    ("state", Kind::Str),
    ("state_password_file", Kind::Str),
    ("state_ca", Kind::Str),
    ("state_prefix", Kind::Str),
    ("state_signing_key_file", Kind::Str),
    ("trusted_proxies", Kind::List),
    ("proxy_user_header", Kind::Str),
];
const LIMITS: &[(&str, Kind)] = &[
    ("connect_timeout_ms", Kind::Int),
    ("request_timeout_ms", Kind::Int),
    ("reply_idle_timeout_ms", Kind::Int),
    ("pool_idle_timeout_s", Kind::Int),
    ("max_body_bytes", Kind::Int),
    ("max_reply_bytes", Kind::Int),
    ("header_read_timeout_ms", Kind::Int),
    ("body_read_timeout_ms", Kind::Int),
    ("send_timeout_ms", Kind::Int),
    ("max_connections", Kind::Int),
    ("max_connections_per_client", Kind::Int),
    ("max_in_flight", Kind::Int),
    ("max_in_flight_per_client", Kind::Int),
    ("shutdown_deadline_ms", Kind::Int),
    ("drain_delay_ms", Kind::Int),
];
const AD_HOC: &[(&str, Kind)] = &[("allowed", Kind::List)];
const DEVICE: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("kind", Kind::Str),
    ("base_url", Kind::Str),
    ("ca", Kind::Str),
    ("pin", Kind::Str),
    ("insecure", Kind::Bool),
    ("tofu", Kind::Bool),
    ("requests_per_minute", Kind::Int),
    ("concurrent_calls", Kind::Int),
];
/// Variables read elsewhere (clap) that are not keys of the file.
const NOT_KEYS: &[&str] = &["CONFIG", "LOG"];

/// The variable-name form of a device id.
pub fn env_id(id: &str) -> String {
    id.to_ascii_uppercase().replace(['-', '.'], "_")
}

fn lookup(keys: &[(&str, Kind)], key: &str) -> Option<Kind> {
    keys.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind)
}

fn value(var: &str, raw: &str, kind: Kind) -> Result<toml::Value, ConfigError> {
    let err = |message: &str| ConfigError::Env {
        var: var.to_owned(),
        message: message.to_owned(),
    };
    Ok(match kind {
        Kind::Str => toml::Value::String(raw.to_owned()),
        Kind::Bool => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => toml::Value::Boolean(true),
            "false" | "0" | "no" => toml::Value::Boolean(false),
            _ => return Err(err("expected true or false")),
        },
        Kind::Int => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| err("expected a whole number"))?,
        ),
        Kind::List => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
    })
}

/// Apply every `TOKENDECK_*` variable to `table`. Returns the names of variables that matched
/// no key (to be logged as a warning: probably a typo).
pub fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let mut ignored = Vec::new();
    // In the order given: a later pair for the same key wins (the CLI appends its flags).
    let vars = env.into_iter().filter(|(k, _)| k.starts_with("TOKENDECK_"));
    for (var, raw) in vars {
        let rest = &var["TOKENDECK_".len()..];
        let parts: Vec<&str> = rest.split("__").collect();
        let lower = |s: &str| s.to_ascii_lowercase();
        match parts.as_slice() {
            [key] if NOT_KEYS.contains(key) => {}
            [key] => match lookup(TOP, &lower(key)) {
                Some(kind) => {
                    table.insert(lower(key), value(&var, &raw, kind)?);
                }
                None => ignored.push(var.clone()),
            },
            [section, key] if matches!(lower(section).as_str(), "limits" | "ad_hoc") => {
                let keys = if lower(section) == "limits" {
                    LIMITS
                } else {
                    AD_HOC
                };
                let Some(kind) = lookup(keys, &lower(key)) else {
                    ignored.push(var.clone());
                    continue;
                };
                let entry = table
                    .entry(lower(section))
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let toml::Value::Table(section_table) = entry else {
                    return Err(ConfigError::Env {
                        var: var.clone(),
                        message: format!("[{}] in the file is not a table", lower(section)),
                    });
                };
                section_table.insert(lower(key), value(&var, &raw, kind)?);
            }
            [devices, id, key] if lower(devices) == "devices" => {
                let Some(kind) = lookup(DEVICE, &lower(key)) else {
                    ignored.push(var.clone());
                    continue;
                };
                let device = table
                    .get_mut("devices")
                    .and_then(toml::Value::as_array_mut)
                    .and_then(|list| {
                        list.iter_mut()
                            .filter_map(toml::Value::as_table_mut)
                            .find(|d| {
                                d.get("id")
                                    .and_then(toml::Value::as_str)
                                    .is_some_and(|d_id| env_id(d_id) == *id)
                            })
                    });
                let Some(device) = device else {
                    return Err(ConfigError::Env {
                        var: var.clone(),
                        message: format!(
                            "no device in the config file has an id that reads {id} here"
                        ),
                    });
                };
                device.insert(lower(key), value(&var, &raw, kind)?);
            }
            _ => ignored.push(var.clone()),
        }
    }
    Ok(ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_variables_are_reported_not_applied() {
        let mut table = toml::Table::new();
        let ignored = apply_env(
            &mut table,
            [
                ("TOKENDECK_LISTN".to_string(), "x".to_string()),
                ("TOKENDECK_CONFIG".to_string(), "x".to_string()),
                ("PATH".to_string(), "x".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(ignored, vec!["TOKENDECK_LISTN".to_string()]);
        assert!(table.is_empty());
    }

    #[test]
    fn values_are_typed_by_key() {
        let mut table = toml::Table::new();
        apply_env(
            &mut table,
            [
                ("TOKENDECK_ACCESS_KEY".to_string(), "12345".to_string()),
                (
                    "TOKENDECK_LIMITS__MAX_BODY_BYTES".to_string(),
                    "10".to_string(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(table["access_key"].as_str(), Some("12345"));
        assert_eq!(table["limits"]["max_body_bytes"].as_integer(), Some(10));
        assert!(
            apply_env(
                &mut table,
                [("TOKENDECK_ALLOW_TOFU".to_string(), "maybe".to_string())]
            )
            .is_err()
        );
    }
}
