use super::*;

#[test]
fn encodes_and_parses_node_paths() {
    assert_eq!(encode_node_path("Common", "Test"), "~Common~Test");
    assert_eq!(encode_node_path("", "Test"), "~Common~Test");
    assert_eq!(encode_node_path("Tenant", "app/n1"), "~Tenant~app~n1");
    let cases = [
        ("~Common~Test", Some(("Common", "Test"))),
        ("/Common/Test2", Some(("Common", "Test2"))),
        ("Test", Some(("Common", "Test"))),
        ("~Tenant~app~n1", Some(("Tenant", "app/n1"))),
        ("10.10.10.31", Some(("Common", "10.10.10.31"))),
        ("~Common~", None),
        ("~~x", None),
        ("", None),
    ];
    for (input, want) in cases {
        let got = NodePath::parse(input);
        let got = got
            .as_ref()
            .map(|p| (p.partition.as_str(), p.name.as_str()));
        assert_eq!(got, want, "{input:?}");
    }
    let path = NodePath::parse("Test").unwrap();
    assert_eq!(path.url_path(), "/mgmt/tm/ltm/node/~Common~Test");
    assert_eq!(path.full_path(), "/Common/Test");
    assert_eq!(NodePath::parse(&path.encoded()), Some(path));
    // A route-domain name travels with its `%` encoded.
    let routed = NodePath::parse("10.1.1.1%0").unwrap();
    assert_eq!(routed.url_path(), "/mgmt/tm/ltm/node/~Common~10.1.1.1%250");
    assert_eq!(routed.full_path(), "/Common/10.1.1.1%0");
}

#[test]
fn reads_the_seed_collection_and_single_node() {
    let body = r#"{
      "kind": "tm:ltm:node:nodecollectionstate",
      "selfLink": "https://localhost/mgmt/tm/ltm/node?ver=17.1.3",
      "items": [{
        "kind": "tm:ltm:node:nodestate", "name": "Test", "partition": "Common",
        "fullPath": "/Common/Test", "generation": 109325,
        "selfLink": "https://localhost/mgmt/tm/ltm/node/~Common~Test?ver=17.1.3",
        "address": "10.10.10.31", "connectionLimit": 0, "dynamicRatio": 1, "ephemeral": "false",
        "fqdn": {"addressFamily": "ipv4", "autopopulate": "disabled", "downInterval": 5, "interval": "3600"},
        "logging": "disabled", "monitor": "default", "rateLimit": "disabled", "ratio": 1,
        "session": "user-enabled", "state": "unchecked"
      }]
    }"#;
    let nodes: NodeCollection = serde_json::from_str(body).unwrap();
    let node = &nodes.items[0];
    assert_eq!(node.address.as_deref(), Some("10.10.10.31"));
    assert_eq!(
        node.fqdn.as_ref().unwrap().interval.as_deref(),
        Some("3600")
    );
    assert_eq!(node.path().unwrap().encoded(), "~Common~Test");
    assert_eq!(node.is_enabled(), Some(true));
    assert_eq!(node.is_forced_offline(), Some(false));

    // GET /mgmt/tm/ltm/node/Test: no partition, fullPath is the bare name.
    let single: Node =
        serde_json::from_str(r#"{"name":"Test","fullPath":"Test","session":"user-disabled"}"#)
            .unwrap();
    assert_eq!(single.path().unwrap().full_path(), "/Common/Test");
    assert_eq!(single.is_enabled(), Some(false));
}

#[test]
fn selected_fields_and_empty_collections() {
    let body = r#"{"kind":"tm:ltm:node:nodecollectionstate","items":[{"name":"Test","address":"10.10.10.31"}]}"#;
    let nodes: NodeCollection = serde_json::from_str(body).unwrap();
    assert_eq!(nodes.items[0].ratio, None);
    assert_eq!(nodes.items[0].is_enabled(), None);
    let empty: NodeCollection =
        serde_json::from_str(r#"{"kind":"tm:ltm:node:nodecollectionstate"}"#).unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(
        serde_json::to_value(&empty).unwrap(),
        serde_json::json!({"kind": "tm:ltm:node:nodecollectionstate"}),
        "items omitted when empty, as the device does"
    );
}

#[test]
fn builds_select_queries() {
    let cases: [(&[&str], &str); 4] = [
        (&[], "/mgmt/tm/ltm/node"),
        (
            &["address"],
            "/mgmt/tm/ltm/node?$select=name,partition,address",
        ),
        (
            &["address", " address", "name", ""],
            "/mgmt/tm/ltm/node?$select=name,partition,address",
        ),
        (
            &["session", "state"],
            "/mgmt/tm/ltm/node?$select=name,partition,session,state",
        ),
    ];
    for (columns, want) in cases {
        assert_eq!(node_list_path(columns), want, "{columns:?}");
    }
}

fn form(name: &str, address: &str) -> NodeForm {
    NodeForm {
        name: name.into(),
        address: address.into(),
        ..NodeForm::default()
    }
}

#[test]
fn validates_the_create_form() {
    use NodeFieldError::*;
    let with = |f: fn(&mut NodeForm)| {
        let mut x = form("web1", "10.0.0.1");
        f(&mut x);
        x
    };
    let cases: Vec<(NodeForm, Vec<NodeFieldError>)> = vec![
        (form("web1", "10.0.0.1"), vec![]),
        (form("web1", "2001:db8::1"), vec![]),
        (form("web1", "10.0.0.1%2"), vec![]),
        (form("10.0.0.1", "10.0.0.1"), vec![]),
        (form("", ""), vec![NameMissing, AddressMissing]),
        (form("web 1", "10.0.0.1"), vec![NameCharacters(' ')]),
        (form("a/b", "10.0.0.1"), vec![NameCharacters('/')]),
        (
            form("web1", "10.0.0.256"),
            vec![AddressInvalid("10.0.0.256".into())],
        ),
        (
            form("web1", "example.com"),
            vec![AddressInvalid("example.com".into())],
        ),
        (
            form("web1", "10.0.0.1%x"),
            vec![AddressInvalid("10.0.0.1%x".into())],
        ),
        (with(|f| f.ratio = "0".into()), vec![RatioInvalid]),
        (with(|f| f.ratio = "-1".into()), vec![RatioInvalid]),
        (with(|f| f.ratio = "3".into()), vec![]),
        (with(|f| f.connection_limit = "0".into()), vec![]),
        (
            with(|f| f.connection_limit = "lots".into()),
            vec![ConnectionLimitInvalid],
        ),
        (
            with(|f| f.partition = "Ten ant".into()),
            vec![PartitionCharacters(' ')],
        ),
    ];
    for (form, want) in cases {
        let got = form.validate().err().unwrap_or_default();
        assert_eq!(got, want, "{form:?}");
    }
    assert_eq!(NameMissing.field(), "name");
    assert!(RatioInvalid.to_string().contains("at least 1"));
}

#[test]
fn the_create_body_leaves_blanks_to_the_device() {
    let mut full = form(" web1 ", "10.0.0.1");
    full.partition = "Common".into();
    full.ratio = "2".into();
    full.connection_limit = "0".into();
    full.monitor = "/Common/icmp".into();
    full.description = "Bob's".into();
    let body = serde_json::to_value(full.validate().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "web1", "partition": "Common", "address": "10.0.0.1", "ratio": 2,
            "connectionLimit": 0, "monitor": "/Common/icmp", "description": "Bob's"})
    );
    let minimal = serde_json::to_value(form("Test2", "10.10.10.32").validate().unwrap()).unwrap();
    assert_eq!(
        minimal,
        serde_json::json!({"name": "Test2", "address": "10.10.10.32"})
    );
}

#[test]
fn patch_bodies() {
    assert_eq!(
        session_body(false),
        serde_json::json!({"session": "user-disabled"})
    );
    assert_eq!(
        session_body(true),
        serde_json::json!({"session": "user-enabled"})
    );
    assert_eq!(state_body(true), serde_json::json!({"state": "user-down"}));
    assert_eq!(state_body(false), serde_json::json!({"state": "user-up"}));
    assert_eq!(
        crate::devices::bigip::transaction::commit_body(),
        serde_json::json!({"state": "VALIDATING"})
    );
}
