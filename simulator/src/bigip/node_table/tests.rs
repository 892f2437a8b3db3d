use super::*;

fn create(table: &mut NodeTable, body: Value) -> Result<Option<Value>, NodeError> {
    table.apply(&NodeCommand::create(Some(body))?)
}

#[test]
fn new_nodes_get_the_documented_defaults() {
    let mut table = NodeTable::default();
    let node = create(
        &mut table,
        json!({"name": "Test2", "address": "10.10.10.32"}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(node["partition"], "Common");
    assert_eq!(node["fullPath"], "/Common/Test2");
    assert_eq!(
        node["selfLink"],
        "https://localhost/mgmt/tm/ltm/node/~Common~Test2?ver=17.1.3"
    );
    assert_eq!(node["session"], "user-enabled");
    assert_eq!(node["state"], "unchecked");
    assert_eq!(node["fqdn"]["interval"], "3600");
    assert_eq!(node["connectionLimit"], 0);
}

#[test]
fn bare_names_mean_common_and_render_bare() {
    let mut table = NodeTable::default();
    create(
        &mut table,
        json!({"name": "Test", "address": "10.10.10.31"}),
    )
    .unwrap();
    let bare = table.get(&NodeRef::parse("Test")).unwrap();
    assert_eq!(bare["fullPath"], "Test");
    assert!(bare.get("partition").is_none());
    assert_eq!(
        bare["selfLink"],
        "https://localhost/mgmt/tm/ltm/node/Test?ver=17.1.3"
    );
    assert!(table.get(&NodeRef::parse("~Dev~Test")).is_err());
}

#[test]
fn duplicates_and_missing_nodes_use_device_texts() {
    let mut table = NodeTable::default();
    create(&mut table, json!({"name": "x", "address": "10.0.0.1"})).unwrap();
    let dup = create(&mut table, json!({"name": "x", "address": "10.0.0.2"})).unwrap_err();
    assert_eq!(
        dup.to_string(),
        "01020066:3: The requested Node (/Common/x) already exists in partition Common."
    );
    let missing = table.get(&NodeRef::parse("~Common~y")).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "01020036:3: The requested Node (/Common/y) was not found."
    );
    assert!(matches!(
        create(&mut table, json!({"name": "z", "address": "10.0.0.1"})),
        Err(NodeError::AddressTaken(_))
    ));
}

#[test]
fn modify_changes_only_given_fields_and_put_resets_the_rest() {
    let mut table = NodeTable::default();
    create(
        &mut table,
        json!({"name": "n", "address": "10.0.0.1", "ratio": 5}),
    )
    .unwrap();
    let target = NodeRef::parse("n");
    let patch = NodeCommand::modify(
        target.clone(),
        Some(json!({"session": "user-disabled"})),
        false,
    )
    .unwrap();
    let node = table.apply(&patch).unwrap().unwrap();
    assert_eq!(
        (node["session"].as_str(), node["ratio"].as_u64()),
        (Some("user-disabled"), Some(5))
    );
    let put = NodeCommand::modify(target, Some(json!({"state": "user-down"})), true).unwrap();
    let node = table.apply(&put).unwrap().unwrap();
    assert_eq!(node["ratio"], 1);
    assert_eq!(node["state"], "user-down");
    assert_eq!(node["address"], "10.0.0.1");
}

#[test]
fn bad_values_and_unknown_fields_are_refused() {
    let target = NodeRef::parse("n");
    assert!(NodeCommand::modify(target.clone(), Some(json!({"session": "off"})), false).is_err());
    let err = NodeCommand::modify(target, Some(json!({"colour": "red"})), false).unwrap_err();
    assert!(err.to_string().starts_with("Found unexpected json pair"));
    assert!(NodeCommand::create(Some(json!({"name": "a b", "address": "10.0.0.1"}))).is_err());
    assert!(NodeCommand::create(Some(json!({"name": "a", "address": "10.0.0"}))).is_err());
    assert!(NodeCommand::create(Some(json!({"name": "a"}))).is_err());
    assert!(NodeCommand::create(Some(json!({"name": "a", "address": "10.0.0.1%2"}))).is_ok());
}

#[test]
fn partitions_are_kept_apart() {
    let mut table = NodeTable::default();
    create(
        &mut table,
        json!({"name": "/Dev/web", "address": "10.0.0.1"}),
    )
    .unwrap();
    create(
        &mut table,
        json!({"name": "web", "partition": "Common", "address": "10.0.0.2"}),
    )
    .unwrap();
    assert_eq!(table.list(Some("Dev")).len(), 1);
    assert_eq!(table.list(None).len(), 2);
    let dev = table.get(&NodeRef::parse("~Dev~web")).unwrap();
    assert_eq!(dev["fullPath"], "/Dev/web");
    table
        .apply(&NodeCommand::Delete {
            target: NodeRef::parse("~Dev~web"),
        })
        .unwrap();
    assert!(table.list(Some("Dev")).is_empty());
}

#[test]
fn route_domain_names_link_with_an_encoded_percent() {
    let mut table = NodeTable::default();
    let node = create(
        &mut table,
        json!({"name": "10.1.1.1%0", "address": "10.1.1.1%0"}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(node["name"], "10.1.1.1%0");
    assert_eq!(node["fullPath"], "/Common/10.1.1.1%0");
    assert_eq!(node["address"], "10.1.1.1", "route domain 0 is the default");
    assert_eq!(
        node["selfLink"],
        "https://localhost/mgmt/tm/ltm/node/~Common~10.1.1.1%250?ver=17.1.3"
    );
    assert!(matches!(
        create(&mut table, json!({"name": "other", "address": "10.1.1.1"})),
        Err(NodeError::AddressTaken(_))
    ));
    let in_rd2 = create(
        &mut table,
        json!({"name": "10.1.1.1%2", "address": "10.1.1.1%2"}),
    )
    .unwrap()
    .unwrap();
    assert_eq!(in_rd2["address"], "10.1.1.1%2");
    assert!(table.get(&NodeRef::parse("~Common~10.1.1.1%0")).is_ok());
    assert!(matches!(
        create(&mut table, json!({"name": "bad%x", "address": "10.1.1.3"})),
        Err(NodeError::Invalid(_))
    ));
}
