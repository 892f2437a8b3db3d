//! Node properties: which fields a client may set, what values they take, the defaults a new
//! node starts with, and the device's "unexpected json pair" refusal.

use std::net::IpAddr;

use serde_json::{Map, Value, json};

use super::node_error::NodeError;
use super::node_name::{NodeRef, is_route_domain_id};

/// An address as the device stores it: an IP, with `%<route domain>` unless the route domain
/// is the default one, 0 (`10.1.1.1%0` is kept as `10.1.1.1`, `10.1.1.1%2` as given).
/// `None` for anything that is not an address.
pub(super) fn stored_address(address: &str) -> Option<String> {
    let (ip, route_domain) = match address.split_once('%') {
        Some((ip, rd)) => (ip, Some(rd)),
        None => (address, None),
    };
    ip.parse::<IpAddr>().ok()?;
    match route_domain {
        None => Some(ip.to_owned()),
        Some(rd) if !is_route_domain_id(rd) => None,
        Some(rd) if rd.parse::<u16>() == Ok(0) => Some(ip.to_owned()),
        Some(_) => Some(address.to_owned()),
    }
}

/// Keep the settable fields of a body, check their values, drop read-only ones and refuse
/// unknown ones with the device's "unexpected json pair" text.
pub(super) fn settable(
    body: &Map<String, Value>,
    target: &NodeRef,
) -> Result<Map<String, Value>, NodeError> {
    let invalid = |key: &str, value: &Value| {
        NodeError::Invalid(format!("Invalid property value \"{key}\":{value}"))
    };
    let mut props = Map::new();
    for (key, value) in body {
        let accepted = match key.as_str() {
            "kind" | "name" | "partition" | "fullPath" | "generation" | "selfLink"
            | "ephemeral" => continue,
            "address" => value.as_str().and_then(stored_address).map(Value::from),
            "connectionLimit" => whole(value, 0, u32::MAX as u64),
            "dynamicRatio" | "ratio" => whole(value, 1, 65_535),
            "rateLimit" => whole(value, 0, u32::MAX as u64)
                .map(|n| json!(n.to_string()))
                .or_else(|| (value.as_str() == Some("disabled")).then(|| value.clone())),
            "logging" => one_of(value, &["enabled", "disabled"]),
            "session" => one_of(value, &["user-enabled", "user-disabled", "monitor-enabled"]),
            "state" => one_of(value, &["user-up", "user-down", "unchecked"]),
            "monitor" | "description" => value.as_str().map(|_| value.clone()),
            "fqdn" => value.as_object().map(|_| value.clone()),
            _ => {
                return Err(NodeError::Invalid(format!(
                    "Found unexpected json pair at configuration item /ltm/node/{}. The json pair \"{key}\":{value} is not allowed.",
                    target.full_path().replace('/', "~")
                )));
            }
        };
        props.insert(key.clone(), accepted.ok_or_else(|| invalid(key, value))?);
    }
    Ok(props)
}

pub(super) fn whole(value: &Value, min: u64, max: u64) -> Option<Value> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }?;
    (min..=max).contains(&n).then(|| json!(n))
}

pub(super) fn one_of(value: &Value, allowed: &[&str]) -> Option<Value> {
    value
        .as_str()
        .filter(|v| allowed.contains(v))
        .map(|v| json!(v))
}

/// The properties every new node starts with.
pub(super) fn defaults() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "connectionLimit": 0,
        "dynamicRatio": 1,
        "ephemeral": "false",
        "fqdn": {"addressFamily": "ipv4", "autopopulate": "disabled", "downInterval": 5, "interval": "3600"},
        "logging": "disabled",
        "monitor": "default",
        "rateLimit": "disabled",
        "ratio": 1,
        "session": "user-enabled",
        "state": "unchecked",
    }) else {
        unreachable!("a JSON object literal")
    };
    map
}

/// Merge `changes` into `props`; `fqdn` is merged field by field.
pub(super) fn merge(props: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (key, value) in changes {
        match (props.get_mut(key), value) {
            (Some(Value::Object(old)), Value::Object(new)) if key == "fqdn" => {
                old.extend(new.clone());
            }
            _ => {
                props.insert(key.clone(), value.clone());
            }
        }
    }
}
