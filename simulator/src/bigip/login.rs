//! `POST /mgmt/shared/authn/login`: username and password (in the body; HTTP Basic is neither
//! needed nor used) for a `tmos` token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::auth::TOKEN_HEADER;
use super::links::login_reference;
use super::state::BigIp;
use crate::f5_extract::F5Body;
use crate::peer::Peer;
use crate::rest_error::F5Error;

/// The provider named by `loginProviderName`, or by the last provider segment of
/// `loginReference.link`; `tmos` when neither is given.
fn requested_provider(bigip: &BigIp, request: &Value) -> Option<String> {
    if let Some(name) = request.get("loginProviderName").and_then(Value::as_str) {
        return bigip
            .providers()
            .find(|p| p.eq_ignore_ascii_case(name))
            .map(str::to_owned);
    }
    if let Some(link) = request
        .pointer("/loginReference/link")
        .and_then(Value::as_str)
    {
        return bigip
            .providers()
            .find(|p| login_reference(p).ends_with(link.trim_start_matches("https://localhost")))
            .map(str::to_owned);
    }
    Some("tmos".to_owned())
}

/// Log in. Rules, in the order the device applies them:
/// 1. an `X-F5-Auth-Token` header that is expired or unknown fails the login with that token's
///    401 (seed 003: clients must drop an expired token before logging in again);
/// 2. a body that is not JSON → 400;
/// 3. unknown provider, unknown user or wrong password → 401 "Authentication failed." (the
///    device does not say which; an unknown provider is treated the same way, unverified);
/// 4. the 101st active token of a user other than `admin` → 400.
///
/// Remote providers authenticate against the same user list as `tmos` in this simulation.
pub async fn login(
    State(bigip): State<BigIp>,
    Peer(referer): Peer,
    headers: HeaderMap,
    F5Body(body): F5Body,
) -> Result<Json<Value>, F5Error> {
    let now = bigip.now_micros();
    if let Some(token) = headers.get(TOKEN_HEADER) {
        let token = token.to_str().unwrap_or_default();
        if let Err(err) = bigip.tokens().check(token, now) {
            return Err(F5Error::framework(
                StatusCode::UNAUTHORIZED,
                err.to_string(),
                &referer,
            ));
        }
    }
    let failed =
        || F5Error::framework(StatusCode::UNAUTHORIZED, "Authentication failed.", &referer);
    let request = body.unwrap_or(Value::Null);
    let username = request
        .get("username")
        .and_then(Value::as_str)
        .ok_or_else(failed)?;
    let password = request
        .get("password")
        .and_then(Value::as_str)
        .ok_or_else(failed)?;
    let provider = requested_provider(&bigip, &request).ok_or_else(failed)?;
    let user = bigip
        .user(username)
        .filter(|user| user.password == password)
        .ok_or_else(failed)?;
    let record = bigip
        .tokens()
        .issue(&user.name, &provider, &referer, now)
        .map_err(|err| F5Error::framework(StatusCode::BAD_REQUEST, err.to_string(), &referer))?;
    Ok(Json(json!({
        "username": user.name,
        "loginReference": {"link": login_reference(&provider)},
        "loginProviderName": provider,
        "token": record.to_json(),
        "generation": 0,
        "lastUpdateMicros": 0,
    })))
}
