//! LTM nodes as mcpd keeps them: creation with defaults, partial and full modification,
//! deletion, and the device's validation texts.
//!
//! Pure state; [`NodeCommand`]s are built (and syntax-checked) first and applied later, so a
//! transaction can queue them and apply them all-or-nothing on a copy of the table.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

use super::links::tm_self_link;
use super::node_error::NodeError;
use super::node_name::{DEFAULT_PARTITION, NodeRef, valid_name};
use super::node_props::{defaults, merge, settable};

const COLLECTION_PATH: &str = "/mgmt/tm/ltm/node";

/// A change to the node table, validated for syntax but not yet applied.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeCommand {
    Create {
        target: NodeRef,
        props: Map<String, Value>,
    },
    Modify {
        target: NodeRef,
        props: Map<String, Value>,
        replace: bool,
    },
    Delete {
        target: NodeRef,
    },
}

impl NodeCommand {
    /// `POST /mgmt/tm/ltm/node`: `name` (optionally `/Partition/Name`) and `partition` pick
    /// the node; `address` (or `fqdn.tmName`) is required.
    pub fn create(body: Option<Value>) -> Result<Self, NodeError> {
        let body = as_object(body)?;
        let raw_name = body.get("name").and_then(Value::as_str).unwrap_or("");
        let (partition, name) = match raw_name.strip_prefix('/').and_then(|r| r.split_once('/')) {
            Some((p, n)) => (p.to_owned(), n.to_owned()),
            None => (
                body.get("partition")
                    .and_then(Value::as_str)
                    .unwrap_or(DEFAULT_PARTITION)
                    .to_owned(),
                raw_name.to_owned(),
            ),
        };
        for part in [&partition, &name] {
            if !valid_name(part) {
                return Err(NodeError::Invalid(format!(
                    "01070022:3: The requested object name ({raw_name}) is invalid."
                )));
            }
        }
        let target = NodeRef::full(&partition, &name);
        let mut props = settable(&body, &target)?;
        if !props.contains_key("address") {
            if props.get("fqdn").and_then(|f| f.get("tmName")).is_none() {
                return Err(NodeError::Invalid(format!(
                    "01070734:3: Configuration error: Node {} must have an address or an FQDN name.",
                    target.full_path()
                )));
            }
            props.insert("address".into(), json!("any6"));
        }
        Ok(NodeCommand::Create { target, props })
    }

    /// `PATCH` (`replace: false`) or `PUT` (`replace: true`, unspecified fields reset to their
    /// defaults) of one node.
    pub fn modify(target: NodeRef, body: Option<Value>, replace: bool) -> Result<Self, NodeError> {
        let body = as_object(body)?;
        let props = settable(&body, &target)?;
        Ok(NodeCommand::Modify {
            target,
            props,
            replace,
        })
    }

    pub fn target(&self) -> &NodeRef {
        match self {
            NodeCommand::Create { target, .. }
            | NodeCommand::Modify { target, .. }
            | NodeCommand::Delete { target } => target,
        }
    }
}

fn as_object(body: Option<Value>) -> Result<Map<String, Value>, NodeError> {
    match body {
        Some(Value::Object(map)) => Ok(map),
        None => Ok(Map::new()),
        Some(other) => Err(NodeError::Invalid(format!(
            "Found invalid JSON body in the request: expected an object, got {other}"
        ))),
    }
}

#[derive(Debug, Clone)]
struct Node {
    props: Map<String, Value>,
    generation: u64,
}

/// Every node of the device, keyed by (partition, name).
#[derive(Debug, Clone)]
pub struct NodeTable {
    nodes: BTreeMap<(String, String), Node>,
    generation: u64,
}

impl Default for NodeTable {
    fn default() -> Self {
        Self {
            nodes: BTreeMap::new(),
            generation: 109_300,
        }
    }
}

impl NodeTable {
    /// Apply one command. Returns the node as the reply shows it (`None` after a delete).
    pub fn apply(&mut self, command: &NodeCommand) -> Result<Option<Value>, NodeError> {
        let target = command.target();
        match command {
            NodeCommand::Create { props, .. } => {
                if self.nodes.contains_key(&target.key()) {
                    return Err(NodeError::Exists {
                        full_path: target.full_path(),
                        partition: target.partition.clone(),
                    });
                }
                let address = props.get("address").and_then(Value::as_str).unwrap_or("");
                if address != "any6"
                    && self
                        .nodes
                        .values()
                        .any(|n| n.props.get("address") == props.get("address"))
                {
                    return Err(NodeError::AddressTaken(address.to_owned()));
                }
                let mut all = defaults();
                merge(&mut all, props);
                self.generation += 1;
                self.nodes.insert(
                    target.key(),
                    Node {
                        props: all,
                        generation: self.generation,
                    },
                );
            }
            NodeCommand::Modify { props, replace, .. } => {
                let generation = self.generation + 1;
                let node = self
                    .nodes
                    .get_mut(&target.key())
                    .ok_or_else(|| NodeError::NotFound(target.full_path()))?;
                if props
                    .get("address")
                    .is_some_and(|a| Some(a) != node.props.get("address"))
                {
                    return Err(NodeError::Invalid(format!(
                        "01070734:3: Configuration error: Cannot modify the address of Node {}.",
                        target.full_path()
                    )));
                }
                if *replace {
                    let address = node.props.get("address").cloned();
                    node.props = defaults();
                    node.props
                        .insert("address".into(), address.unwrap_or(Value::Null));
                }
                merge(&mut node.props, props);
                node.generation = generation;
                self.generation = generation;
            }
            NodeCommand::Delete { .. } => {
                self.nodes
                    .remove(&target.key())
                    .ok_or_else(|| NodeError::NotFound(target.full_path()))?;
                self.generation += 1;
                return Ok(None);
            }
        }
        self.get(target).map(Some)
    }

    /// One node, as named.
    pub fn get(&self, target: &NodeRef) -> Result<Value, NodeError> {
        let node = self
            .nodes
            .get(&target.key())
            .ok_or_else(|| NodeError::NotFound(target.full_path()))?;
        Ok(render(target, node))
    }

    /// Every node (of one partition, if given), in `fullPath` order.
    pub fn list(&self, partition: Option<&str>) -> Vec<Value> {
        self.nodes
            .iter()
            .filter(|((p, _), _)| partition.is_none_or(|want| want == p))
            .map(|((partition, name), node)| render(&NodeRef::full(partition, name), node))
            .collect()
    }
}

fn render(target: &NodeRef, node: &Node) -> Value {
    let mut body = Map::new();
    body.insert("kind".into(), json!("tm:ltm:node:nodestate"));
    body.insert("name".into(), json!(target.name));
    if target.bare {
        body.insert("fullPath".into(), json!(target.name));
    } else {
        body.insert("partition".into(), json!(target.partition));
        body.insert("fullPath".into(), json!(target.full_path()));
    }
    body.insert("generation".into(), json!(node.generation));
    let link = format!("{COLLECTION_PATH}/{}", target.link_segment());
    body.insert("selfLink".into(), json!(tm_self_link(&link, None)));
    body.extend(node.props.clone());
    Value::Object(body)
}

#[cfg(test)]
mod tests;
