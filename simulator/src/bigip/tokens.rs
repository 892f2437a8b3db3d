//! `/mgmt/shared/authz/tokens`: list and delete-all on the collection; GET, PATCH (PUT) and
//! DELETE on one token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::auth::Caller;
use super::state::BigIp;
use super::token_store::{TokenError, TokenRecord};
use crate::f5_extract::{F5Body, F5Path};
use crate::rest_error::F5Error;

const SELF_LINK: &str = "https://localhost/mgmt/shared/authz/tokens";

fn refuse(err: TokenError, referer: &str) -> F5Error {
    let status = match err {
        TokenError::Unknown | TokenError::Expired => StatusCode::UNAUTHORIZED,
        TokenError::TimeoutTooLong => StatusCode::NOT_ACCEPTABLE,
        TokenError::NotFound(_) => StatusCode::NOT_FOUND,
        TokenError::TooMany(_) | TokenError::BadTimeout(_) | TokenError::NotYours { .. } => {
            StatusCode::BAD_REQUEST
        }
    };
    F5Error::framework(status, err.to_string(), referer)
}

/// The collection body; `items` is left out when there are none, as the device does.
fn collection<'a>(bigip: &BigIp, tokens: impl IntoIterator<Item = &'a TokenRecord>) -> Value {
    let items: Vec<Value> = tokens.into_iter().map(TokenRecord::to_json).collect();
    let mut body = json!({
        "kind": "shared:authz:tokens:authtokencollectionstate",
        "generation": 0,
        "lastUpdateMicros": bigip.now_micros(),
        "selfLink": SELF_LINK,
    });
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    body
}

/// `GET /mgmt/shared/authz/tokens`: administrators see every active token, others their own.
pub async fn list(State(bigip): State<BigIp>, caller: Caller) -> Json<Value> {
    let now = bigip.now_micros();
    let store = bigip.tokens();
    Json(collection(&bigip, store.list(caller.asker(), now)))
}

/// `DELETE /mgmt/shared/authz/tokens`: remove every token (administrators only). Replies
/// with the emptied collection.
pub async fn delete_all(
    State(bigip): State<BigIp>,
    caller: Caller,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    bigip
        .tokens()
        .delete_all(caller.asker(), now)
        .map_err(|e| refuse(e, &caller.referer))?;
    Ok(Json(collection(&bigip, [])))
}

pub async fn get_one(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(token): F5Path<String>,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let record = bigip.tokens().get(&token, caller.asker(), now);
    record
        .map(|r| Json(r.to_json()))
        .map_err(|e| refuse(e, &caller.referer))
}

/// `PATCH` (or `PUT`, which f5-sdk's `update()` sends with the whole object) with
/// `{"timeout": N}`: the reply is the token with the new `timeout` and `expirationMicros`.
/// Other fields of the body are ignored; a body without `timeout` is a 400.
pub async fn retime(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(token): F5Path<String>,
    method: axum::http::Method,
    F5Body(body): F5Body,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let timeout = body
        .as_ref()
        .and_then(|b| b.get("timeout"))
        .cloned()
        .unwrap_or(Value::Null);
    let record = bigip
        .tokens()
        .retime(&token, &timeout, caller.asker(), method.as_str(), now);
    record
        .map(|r| Json(r.to_json()))
        .map_err(|e| refuse(e, &caller.referer))
}

/// `DELETE` one token: the reply echoes the deleted token.
pub async fn delete_one(
    State(bigip): State<BigIp>,
    caller: Caller,
    F5Path(token): F5Path<String>,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    let record = bigip.tokens().delete(&token, caller.asker(), now);
    record
        .map(|r| Json(r.to_json()))
        .map_err(|e| refuse(e, &caller.referer))
}
