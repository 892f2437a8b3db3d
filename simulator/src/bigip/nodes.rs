//! `/mgmt/tm/ltm/node`: list (with `$select` and `$filter=partition eq P`), create, and
//! GET/PATCH/PUT/DELETE one node by `~Partition~Name` or bare `Name`.

use axum::Json;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::Caller;
use super::links::tm_self_link;
use super::node_name::NodeRef;
use super::node_table::NodeCommand;
use super::state::BigIp;
use super::transactions::{Coordination, run_or_queue};
use crate::f5_extract::{F5Body, F5Path};
use crate::query::query_param;
use crate::rest_error::F5Error;

const COLLECTION_PATH: &str = "/mgmt/tm/ltm/node";

/// Keep only the `$select`ed fields (comma-separated) of an item.
fn select(item: Value, fields: Option<&[String]>) -> Value {
    match (item, fields) {
        (Value::Object(map), Some(fields)) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter(|(k, _)| fields.contains(k))
                .collect();
            Value::Object(kept)
        }
        (item, _) => item,
    }
}

fn selected_fields(query: Option<&str>) -> Option<Vec<String>> {
    query_param(query, "$select").map(|s| {
        s.split(',')
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty())
            .collect()
    })
}

/// `$filter=partition eq Common` (the one filter form f5-sdk sends for nodes).
fn partition_filter(query: Option<&str>) -> Option<String> {
    let filter = query_param(query, "$filter")?;
    let mut words = filter.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("partition"), Some("eq"), Some(partition)) => Some(partition.to_owned()),
        _ => None,
    }
}

/// `GET /mgmt/tm/ltm/node`: `items` is left out when there are no nodes.
pub async fn list(
    State(bigip): State<BigIp>,
    _caller: Caller,
    RawQuery(query): RawQuery,
) -> Json<Value> {
    let fields = selected_fields(query.as_deref());
    let partition = partition_filter(query.as_deref());
    let items: Vec<Value> = bigip
        .nodes()
        .list(partition.as_deref())
        .into_iter()
        .map(|item| select(item, fields.as_deref()))
        .collect();
    let mut body = json!({
        "kind": "tm:ltm:node:nodecollectionstate",
        "selfLink": tm_self_link(COLLECTION_PATH, query.as_deref()),
    });
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    Json(body)
}

pub async fn get_one(
    State(bigip): State<BigIp>,
    _caller: Caller,
    F5Path(name): F5Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, F5Error> {
    let fields = selected_fields(query.as_deref());
    let node = bigip.nodes().get(&NodeRef::parse(&name))?;
    Ok(Json(select(node, fields.as_deref())))
}

/// `POST /mgmt/tm/ltm/node`: 200 with the new node (defaults filled in).
pub async fn create(
    State(bigip): State<BigIp>,
    caller: Caller,
    coordination: Coordination,
    OriginalUri(uri): OriginalUri,
    F5Body(body): F5Body,
) -> Result<Response, F5Error> {
    let command = NodeCommand::create(body.clone())?;
    run_or_queue(
        &bigip,
        &caller,
        coordination,
        ("POST", uri.path(), body),
        command,
    )
}

/// `PATCH`: change the given fields (`session` `user-enabled|user-disabled`, `state`
/// `user-up|user-down`, ratios, limits, …); the address cannot change.
pub async fn modify(
    State(bigip): State<BigIp>,
    caller: Caller,
    coordination: Coordination,
    F5Path(name): F5Path<String>,
    OriginalUri(uri): OriginalUri,
    F5Body(body): F5Body,
) -> Result<Response, F5Error> {
    let command = NodeCommand::modify(NodeRef::parse(&name), body.clone(), false)?;
    run_or_queue(
        &bigip,
        &caller,
        coordination,
        ("PATCH", uri.path(), body),
        command,
    )
}

/// `PUT`: like PATCH, but fields left out return to their defaults.
pub async fn replace(
    State(bigip): State<BigIp>,
    caller: Caller,
    coordination: Coordination,
    F5Path(name): F5Path<String>,
    OriginalUri(uri): OriginalUri,
    F5Body(body): F5Body,
) -> Result<Response, F5Error> {
    let command = NodeCommand::modify(NodeRef::parse(&name), body.clone(), true)?;
    run_or_queue(
        &bigip,
        &caller,
        coordination,
        ("PUT", uri.path(), body),
        command,
    )
}

/// `DELETE`: 200 with an empty body.
pub async fn delete(
    State(bigip): State<BigIp>,
    caller: Caller,
    coordination: Coordination,
    F5Path(name): F5Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, F5Error> {
    let command = NodeCommand::Delete {
        target: NodeRef::parse(&name),
    };
    run_or_queue(
        &bigip,
        &caller,
        coordination,
        ("DELETE", uri.path(), None),
        command,
    )
}
