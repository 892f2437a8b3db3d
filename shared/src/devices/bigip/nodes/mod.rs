//! LTM nodes (`/mgmt/tm/ltm/node`): paths, wire types, create-form validation, `$select`
//! and the small PATCH bodies behind enable/disable and force offline.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::devices::links::encode_path_segment;

/// The node collection.
pub const NODES_PATH: &str = "/mgmt/tm/ltm/node";
/// The partition a bare name lives in.
pub const DEFAULT_PARTITION: &str = "Common";

/// A node's partition and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodePath {
    pub partition: String,
    pub name: String,
}

impl NodePath {
    /// Read `~Common~n1`, `/Common/n1` or a bare `n1` (partition Common).
    pub fn parse(path: &str) -> Option<NodePath> {
        let path = path.trim();
        let sep = match path.chars().next()? {
            '~' => '~',
            '/' => '/',
            _ => {
                return Some(NodePath {
                    partition: DEFAULT_PARTITION.into(),
                    name: path.to_string(),
                });
            }
        };
        let (partition, name) = path[1..].split_once(sep)?;
        (!partition.is_empty() && !name.is_empty()).then(|| NodePath {
            partition: partition.to_string(),
            name: name.replace(sep, "/"),
        })
    }

    /// `~Common~n1`, as the URL of one node needs it.
    pub fn encoded(&self) -> String {
        encode_node_path(&self.partition, &self.name)
    }

    /// `/Common/n1`, as `fullPath` shows it.
    pub fn full_path(&self) -> String {
        format!("/{}/{}", self.partition, self.name)
    }

    /// `/mgmt/tm/ltm/node/~Common~n1`, percent-encoded (a route domain's `%` as `%25`).
    pub fn url_path(&self) -> String {
        format!("{NODES_PATH}/{}", encode_path_segment(&self.encoded()))
    }
}

/// `~Common~n1` (an empty partition means Common; `/` in a name becomes `~`).
pub fn encode_node_path(partition: &str, name: &str) -> String {
    let partition = if partition.is_empty() {
        DEFAULT_PARTITION
    } else {
        partition
    };
    format!("~{partition}~{}", name.replace('/', "~"))
}

/// A node's FQDN settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeFqdn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_family: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopopulate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_interval: Option<u64>,
    /// The device sends this as a string (`"3600"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmname: Option<String>,
}

/// A node (`tm:ltm:node:nodestate`). Every field is optional: `$select` may leave any out,
/// and the same type serves as a create or PATCH body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_ratio: Option<u64>,
    /// `"true"`/`"false"` as strings, as the device sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<NodeFqdn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<u64>,
    /// `user-enabled`, `user-disabled` (or `monitor-enabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// `user-up`, `user-down`, `unchecked`, `up`, `down`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Node {
    /// Where the node lives, from `fullPath` or `partition` + `name`.
    pub fn path(&self) -> Option<NodePath> {
        match (&self.partition, &self.name) {
            (Some(partition), Some(name)) => Some(NodePath {
                partition: partition.clone(),
                name: name.clone(),
            }),
            _ => NodePath::parse(self.full_path.as_deref().or(self.name.as_deref())?),
        }
    }

    /// Accepting new connections (not `user-disabled`), when the session field is present.
    pub fn is_enabled(&self) -> Option<bool> {
        self.session.as_deref().map(|s| s != "user-disabled")
    }

    /// Forced offline (`state: user-down`), when the state field is present.
    pub fn is_forced_offline(&self) -> Option<bool> {
        self.state.as_deref().map(|s| s == "user-down")
    }
}

/// `tm:ltm:node:nodecollectionstate`; an empty collection omits `items`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCollection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Node>,
}

/// PATCH body that enables (`user-enabled`) or disables (`user-disabled`) a node.
pub fn session_body(enabled: bool) -> serde_json::Value {
    let session = if enabled {
        "user-enabled"
    } else {
        "user-disabled"
    };
    serde_json::json!({ "session": session })
}

/// PATCH body that forces a node offline (`user-down`) or releases it (`user-up`).
pub fn state_body(forced_offline: bool) -> serde_json::Value {
    let state = if forced_offline {
        "user-down"
    } else {
        "user-up"
    };
    serde_json::json!({ "state": state })
}

/// Columns the node list offers, as (`$select` field, heading).
pub const NODE_COLUMNS: [(&str, &str); 10] = [
    ("address", "Address"),
    ("description", "Description"),
    ("session", "Enabled"),
    ("state", "State"),
    ("monitor", "Monitor"),
    ("ratio", "Ratio"),
    ("connectionLimit", "Connection limit"),
    ("dynamicRatio", "Dynamic ratio"),
    ("rateLimit", "Rate limit"),
    ("logging", "Logging"),
];

/// The node list URL path for the chosen columns: `name` and `partition` are always selected
/// (rows need them for their actions); no columns means every field (no `$select`).
pub fn node_list_path(columns: &[&str]) -> String {
    if columns.is_empty() {
        return NODES_PATH.to_string();
    }
    format!("{NODES_PATH}?{}", select_query(columns))
}

/// `$select=name,partition,…` with duplicates and blanks removed, `name` and `partition` first.
pub fn select_query(fields: &[&str]) -> String {
    let mut chosen: Vec<&str> = vec!["name", "partition"];
    for field in fields.iter().map(|f| f.trim()) {
        if !field.is_empty() && !chosen.contains(&field) {
            chosen.push(field);
        }
    }
    format!("$select={}", chosen.join(","))
}

/// A create-form problem, tied to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeFieldError {
    #[error("Enter a name.")]
    NameMissing,
    #[error(
        "The name may use letters, digits and . _ - : % only (found {0:?}); no spaces, / or ~."
    )]
    NameCharacters(char),
    #[error("The partition may use letters, digits and . _ - only (found {0:?}).")]
    PartitionCharacters(char),
    #[error("Enter an address.")]
    AddressMissing,
    #[error("{0:?} is not an IPv4 or IPv6 address (a route domain may follow as %N).")]
    AddressInvalid(String),
    #[error("The ratio must be a whole number of at least 1.")]
    RatioInvalid,
    #[error("The connection limit must be a whole number, 0 for no limit.")]
    ConnectionLimitInvalid,
}

impl NodeFieldError {
    /// The form field the message belongs beside.
    pub fn field(&self) -> &'static str {
        match self {
            NodeFieldError::NameMissing | NodeFieldError::NameCharacters(_) => "name",
            NodeFieldError::PartitionCharacters(_) => "partition",
            NodeFieldError::AddressMissing | NodeFieldError::AddressInvalid(_) => "address",
            NodeFieldError::RatioInvalid => "ratio",
            NodeFieldError::ConnectionLimitInvalid => "connectionLimit",
        }
    }
}

/// The create form as typed; blank optional fields are left to the device's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeForm {
    pub name: String,
    pub address: String,
    pub partition: String,
    pub description: String,
    pub ratio: String,
    pub connection_limit: String,
    pub monitor: String,
}

impl NodeForm {
    /// The POST body for `/mgmt/tm/ltm/node`, or every problem at once.
    pub fn validate(&self) -> Result<Node, Vec<NodeFieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(NodeFieldError::NameMissing);
        } else if let Some(c) = name.chars().find(|c| !is_name_char(*c, ":%")) {
            errors.push(NodeFieldError::NameCharacters(c));
        }
        let partition = self.partition.trim();
        if let Some(c) = partition.chars().find(|c| !is_name_char(*c, "")) {
            errors.push(NodeFieldError::PartitionCharacters(c));
        }
        let address = self.address.trim();
        if address.is_empty() {
            errors.push(NodeFieldError::AddressMissing);
        } else if !is_node_address(address) {
            errors.push(NodeFieldError::AddressInvalid(address.to_string()));
        }
        let ratio = optional_number(&self.ratio);
        if matches!(ratio, Some(Err(()) | Ok(0))) {
            errors.push(NodeFieldError::RatioInvalid);
        }
        let limit = optional_number(&self.connection_limit);
        if matches!(limit, Some(Err(()))) {
            errors.push(NodeFieldError::ConnectionLimitInvalid);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Node {
            name: Some(name.to_string()),
            partition: text(partition),
            address: Some(address.to_string()),
            description: text(&self.description),
            ratio: ratio.and_then(Result::ok),
            connection_limit: limit.and_then(Result::ok),
            monitor: text(&self.monitor),
            ..Node::default()
        })
    }
}

fn is_name_char(c: char, extra: &str) -> bool {
    c.is_ascii_alphanumeric() || "._-".contains(c) || extra.contains(c)
}

/// An IPv4 or IPv6 address, optionally with a route domain (`10.0.0.1%2`).
fn is_node_address(address: &str) -> bool {
    let (ip, route_domain) = match address.split_once('%') {
        Some((ip, rd)) => (ip, Some(rd)),
        None => (address, None),
    };
    ip.parse::<IpAddr>().is_ok()
        && route_domain.is_none_or(|rd| !rd.is_empty() && rd.chars().all(|c| c.is_ascii_digit()))
}

/// `None` when blank, else the whole number typed (or `Err`).
fn optional_number(input: &str) -> Option<Result<u64, ()>> {
    let input = input.trim();
    (!input.is_empty()).then(|| input.parse().map_err(|_| ()))
}

/// What a cell shows for one `$select` field ("—" when the device left it out).
pub fn cell_text(node: &Node, key: &str) -> String {
    let number = |n: Option<u64>| n.map(|n| n.to_string());
    let text = match key {
        "address" => node.address.clone(),
        "description" => node.description.clone(),
        "session" => node
            .is_enabled()
            .map(|on| if on { "enabled" } else { "disabled" }.to_string()),
        "state" => node.state.as_deref().map(|s| match s {
            "user-down" => "forced offline".to_string(),
            other => other.to_string(),
        }),
        "monitor" => node.monitor.clone(),
        "ratio" => number(node.ratio),
        "connectionLimit" => node.connection_limit.map(|n| match n {
            0 => "no limit".to_string(),
            n => n.to_string(),
        }),
        "dynamicRatio" => number(node.dynamic_ratio),
        "rateLimit" => node.rate_limit.clone(),
        "logging" => node.logging.clone(),
        _ => None,
    };
    text.filter(|t| !t.is_empty())
        .unwrap_or_else(|| "—".to_string())
}

/// Whether the filter text (ASCII case-insensitive: names and addresses are ASCII) occurs in
/// the node's name, address or partition.
pub fn matches_filter(node: &Node, filter: &str) -> bool {
    let filter = filter.trim().to_ascii_lowercase();
    filter.is_empty()
        || [&node.name, &node.address, &node.partition, &node.full_path]
            .into_iter()
            .flatten()
            .any(|field| field.to_ascii_lowercase().contains(&filter))
}

pub mod columns;
mod reader;
#[cfg(test)]
mod tests;

pub use reader::read_node_list;

#[cfg(test)]
mod cell_tests {
    use super::*;

    #[test]
    fn cells_say_what_the_device_means() {
        let node: Node = serde_json::from_str(
            r#"{"name":"web","partition":"Common","address":"10.0.0.1","session":"user-disabled",
                "state":"user-down","connectionLimit":0,"description":""}"#,
        )
        .unwrap();
        assert_eq!(cell_text(&node, "session"), "disabled");
        assert_eq!(cell_text(&node, "state"), "forced offline");
        assert_eq!(cell_text(&node, "connectionLimit"), "no limit");
        assert_eq!(cell_text(&node, "description"), "—");
        assert_eq!(cell_text(&node, "ratio"), "—");
        assert!(matches_filter(&node, " COMMON "));
        assert!(matches_filter(&node, "10.0.0"));
        assert!(!matches_filter(&node, "db"));
    }
}
