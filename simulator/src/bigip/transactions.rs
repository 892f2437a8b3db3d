//! `/mgmt/tm/transaction` routes, and running a node command now or queueing it under
//! `X-F5-REST-Coordination-Id`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::Caller;
use super::links::tm_self_link;
use super::node_table::NodeCommand;
use super::state::BigIp;
use super::transaction_store::TransactionError;
use crate::f5_extract::{F5Body, F5Path};
use crate::rest_error::F5Error;

/// The transaction a call belongs to, from `X-F5-REST-Coordination-Id`.
pub struct Coordination(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Coordination {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Coordination(
            parts
                .headers
                .get("x-f5-rest-coordination-id")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        ))
    }
}

fn refuse(err: TransactionError, referer: &str) -> F5Error {
    match err {
        TransactionError::NotFound(_) => {
            F5Error::framework(StatusCode::NOT_FOUND, err.to_string(), referer)
        }
        TransactionError::NotStarted { .. } | TransactionError::BadState(_) => {
            F5Error::framework(StatusCode::BAD_REQUEST, err.to_string(), referer)
        }
        TransactionError::Failed(_) => {
            F5Error::configuration(StatusCode::BAD_REQUEST, err.to_string())
        }
    }
}

/// Run `command` now, or queue it when the call carries a coordination id. A run replies with
/// the node (or an empty body after a delete); a queued call replies with the queued command.
pub fn run_or_queue(
    bigip: &BigIp,
    caller: &Caller,
    Coordination(transaction): Coordination,
    request: (&str, &str, Option<Value>),
    command: NodeCommand,
) -> Result<Response, F5Error> {
    let now = bigip.now_micros();
    let (method, path, body) = request;
    if let Some(id) = transaction {
        let echo = (method, path, body.unwrap_or_else(|| json!({})));
        let queued = bigip
            .transactions()
            .queue(&id, caller.asker(), echo, command, now);
        return queued
            .map(|q| Json(q).into_response())
            .map_err(|e| refuse(e, &caller.referer));
    }
    match bigip.nodes().apply(&command)? {
        Some(node) => Ok(Json(node).into_response()),
        None => Ok(StatusCode::OK.into_response()),
    }
}

/// `POST /mgmt/tm/transaction` (body `{}`): open a transaction.
pub async fn begin(State(bigip): State<BigIp>, caller: Caller, _body: F5Body) -> Json<Value> {
    let now = bigip.now_micros();
    Json(bigip.transactions().begin(&caller.user.name, now).to_json())
}

pub async fn list(State(bigip): State<BigIp>, caller: Caller) -> Json<Value> {
    let now = bigip.now_micros();
    let items: Vec<Value> = bigip
        .transactions()
        .list(caller.asker(), now)
        .iter()
        .map(|t| t.to_json())
        .collect();
    let mut body = json!({
        "kind": "tm:transactioncollectionstate",
        "selfLink": tm_self_link("/mgmt/tm/transaction", None),
    });
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    Json(body)
}

pub async fn get_one(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(id): F5Path<String>,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let mut store = bigip.transactions();
    let transaction = store
        .get(&id, caller.asker(), now)
        .map_err(|e| refuse(e, &caller.referer))?;
    Ok(Json(transaction.to_json()))
}

/// `GET /mgmt/tm/transaction/<id>/commands`: what is queued, in evaluation order.
pub async fn commands(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(id): F5Path<String>,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let mut store = bigip.transactions();
    let transaction = store
        .get(&id, caller.asker(), now)
        .map_err(|e| refuse(e, &caller.referer))?;
    let items: Vec<Value> = transaction
        .commands
        .iter()
        .map(|q| transaction.command_json(q))
        .collect();
    let mut body = json!({
        "kind": "tm:transaction:commandscollectionstate",
        "selfLink": tm_self_link(&format!("/mgmt/tm/transaction/{}/commands", transaction.id), None),
    });
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    Ok(Json(body))
}

/// `PATCH /mgmt/tm/transaction/<id>` `{"state":"VALIDATING"}`: apply every queued command or
/// none. Failure → 400 "transaction failed:<first error>" and the transaction is `FAILED`.
/// With `"validateOnly": true` nothing is applied and a valid transaction stays `STARTED`.
pub async fn commit(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(id): F5Path<String>,
    F5Body(body): F5Body,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let state = body
        .as_ref()
        .and_then(|b| b.get("state"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let validate_only = body
        .as_ref()
        .and_then(|b| b.get("validateOnly"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut transactions = bigip.transactions();
    let mut nodes = bigip.nodes();
    transactions
        .commit(&id, &state, validate_only, caller.asker(), &mut nodes, now)
        .map(Json)
        .map_err(|e| refuse(e, &caller.referer))
}

/// `DELETE /mgmt/tm/transaction/<id>`: drop it unapplied; 200 with an empty body.
pub async fn discard(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(id): F5Path<String>,
) -> Result<StatusCode, F5Error> {
    let now = bigip.now_micros();
    bigip
        .transactions()
        .discard(&id, caller.asker(), now)
        .map(|()| StatusCode::OK)
        .map_err(|e| refuse(e, &caller.referer))
}
