//! `GET` and `DELETE /mgmt/shared/authz/tokens/<jwt>`: a token's `selfLink`, which is how a
//! client logs out of a BIG-IQ.
//!
//! What the simulator does (BIG-IQ's documentation is silent; this follows BIG-IP's token
//! worker, which BIG-IQ's tokens share a `kind` and `selfLink` with):
//! - `DELETE` on the access token's or the refresh token's link deletes *that* token and
//!   answers 200 with its token object. A deleted access token no longer authenticates
//!   (401 "X-F5-Auth-Token does not exist."); a deleted refresh token can no longer be
//!   exchanged (the same 401). Deleting one leaves the other alone, so a logout deletes the
//!   refresh token first and then the access token, both while authenticated with the access
//!   token.
//! - The call authenticates with a live access token in `X-F5-Auth-Token`. Administrators
//!   may delete any user's tokens, other users only their own (400 "Authorization failed…").
//! - A token that is malformed, not this device's, expired or already deleted is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::Value;

use super::auth::BigIqCaller;
use super::state::BigIq;
use super::tokens::{Checked, token_object};
use crate::f5_extract::F5Path;
use crate::origin::called_host;
use crate::rest_error::F5Error;

/// The token named in the path, if the caller may see it.
fn named_token(
    bigiq: &BigIq,
    caller: &BigIqCaller,
    token: &str,
    verb: &str,
) -> Result<Checked, F5Error> {
    let checked = bigiq.live_token(token, None).map_err(|_| {
        F5Error::framework(
            StatusCode::NOT_FOUND,
            format!("Object not found: /mgmt/shared/authz/tokens/{token}"),
            &caller.referer,
        )
    })?;
    if !caller.admin && checked.subject.user != caller.user {
        return Err(F5Error::framework(
            StatusCode::BAD_REQUEST,
            format!(
                "Authorization failed: user=https://localhost/mgmt/shared/authz/users/{} resource=/mgmt/shared/authz/tokens/{token} verb={verb}",
                caller.user
            ),
            &caller.referer,
        ));
    }
    Ok(checked)
}

fn object(bigiq: &BigIq, token: &str, checked: &Checked, parts: &Parts) -> Json<Value> {
    Json(token_object(
        token,
        &checked.claims,
        &called_host(parts),
        bigiq.next_generation(),
        bigiq.now_micros(),
    ))
}

pub async fn get_token(
    State(bigiq): State<BigIq>,
    caller: BigIqCaller,
    F5Path(token): F5Path<String>,
    parts: Parts,
) -> Result<Json<Value>, F5Error> {
    let checked = named_token(&bigiq, &caller, &token, "GET")?;
    Ok(object(&bigiq, &token, &checked, &parts))
}

pub async fn delete_token(
    State(bigiq): State<BigIq>,
    caller: BigIqCaller,
    F5Path(token): F5Path<String>,
    parts: Parts,
) -> Result<Json<Value>, F5Error> {
    let checked = named_token(&bigiq, &caller, &token, "DELETE")?;
    bigiq
        .revocations()
        .revoke(&checked.jti, checked.exp, bigiq.now_micros());
    Ok(object(&bigiq, &token, &checked, &parts))
}
