//! The node list as the console reads it: through `serde_json::Value` field by field
//! ([`crate::devices::fields`]) rather than `NodeCollection`'s derived `Deserialize`, which
//! alone weighed about 8 KB of the console's wasm. Reads what the derive reads (the tests hold
//! both to the same answers), except that a list is never taken for an object.

use serde_json::Value;

use super::{Node, NodeFqdn};
use crate::devices::fields::{FieldError, Fields};

fn fqdn(fields: Fields<'_>) -> Result<NodeFqdn, FieldError> {
    Ok(NodeFqdn {
        address_family: fields.text("addressFamily")?,
        autopopulate: fields.text("autopopulate")?,
        down_interval: fields.number("downInterval")?,
        interval: fields.text("interval")?,
        tmname: fields.text("tmname")?,
    })
}

fn node(value: &Value) -> Result<Node, FieldError> {
    let f = Fields::of(value)?;
    Ok(Node {
        kind: f.text("kind")?,
        name: f.text("name")?,
        partition: f.text("partition")?,
        full_path: f.text("fullPath")?,
        generation: f.number("generation")?,
        self_link: f.text("selfLink")?,
        address: f.text("address")?,
        connection_limit: f.number("connectionLimit")?,
        dynamic_ratio: f.number("dynamicRatio")?,
        ephemeral: f.text("ephemeral")?,
        fqdn: f.object("fqdn")?.map(fqdn).transpose()?,
        logging: f.text("logging")?,
        monitor: f.text("monitor")?,
        rate_limit: f.text("rateLimit")?,
        ratio: f.number("ratio")?,
        session: f.text("session")?,
        state: f.text("state")?,
        description: f.text("description")?,
    })
}

/// The nodes of a `tm:ltm:node:nodecollectionstate` reply, or what is wrong with it (worded
/// for a person).
pub fn read_node_list(body: &str) -> Result<Vec<Node>, String> {
    let value: Value = serde_json::from_str(body)
        .map_err(|e| format!("The node list could not be read ({e})."))?;
    let items = Fields::of(&value)
        .and_then(|collection| collection.list("items"))
        .map_err(|e| format!("The node list could not be read ({e})."))?;
    items
        .iter()
        .map(node)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("A node in the list could not be read ({e})."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::bigip::nodes::NodeCollection;

    const SEED: &str = r#"{
      "kind": "tm:ltm:node:nodecollectionstate",
      "selfLink": "https://localhost/mgmt/tm/ltm/node?ver=17.1.3",
      "items": [{
        "kind": "tm:ltm:node:nodestate", "name": "Test", "partition": "Common",
        "fullPath": "/Common/Test", "generation": 109325,
        "selfLink": "https://localhost/mgmt/tm/ltm/node/~Common~Test?ver=17.1.3",
        "address": "10.10.10.31", "connectionLimit": 0, "dynamicRatio": 1, "ephemeral": "false",
        "fqdn": {"addressFamily": "ipv4", "autopopulate": "disabled", "downInterval": 5,
                 "interval": "3600", "tmname": "x"},
        "logging": "disabled", "monitor": "default", "rateLimit": "disabled", "ratio": 1,
        "session": "user-enabled", "state": "unchecked", "description": "d", "extra": [1]
      }, {"name": "b", "address": "10.0.0.2", "ratio": null}]
    }"#;

    #[test]
    fn reads_what_the_derived_collection_reads() {
        let derived: NodeCollection = serde_json::from_str(SEED).unwrap();
        assert_eq!(read_node_list(SEED).unwrap(), derived.items);
        let empty = r#"{"kind":"tm:ltm:node:nodecollectionstate"}"#;
        assert_eq!(read_node_list(empty), Ok(Vec::new()));
    }

    #[test]
    fn refuses_what_the_derive_refuses() {
        for body in [
            r#"{"items":[{"name":"a","ratio":"1"}]}"#,
            r#"{"items":[{"name":7}]}"#,
            r#"{"items":[{"fqdn":"x"}]}"#,
            r#"{"items":{}}"#,
            "not json",
        ] {
            assert!(
                serde_json::from_str::<NodeCollection>(body).is_err(),
                "{body}"
            );
            let err = read_node_list(body).unwrap_err();
            assert!(err.contains("could not be read"), "{body}: {err}");
        }
        // Stricter than the derive in one place: a list where the collection object belongs
        // (the derive would read it positionally, as an empty collection).
        assert!(read_node_list("[]").is_err());
    }
}
