//! `generatetoken`, `refreshtoken`, `revokeaccess`, and the access-token check every other
//! call goes through (which also applies the per-user rate limit).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::domains::DOMAINS;
use super::error::FmcError;
use super::state::Fmc;
use crate::basic::basic_credentials;
use crate::name_uuid::name_uuid;

const ACCESS_HEADER: &str = "x-auth-access-token";
const REFRESH_HEADER: &str = "x-auth-refresh-token";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A caller holding a live access token, already counted against the rate limit.
#[derive(Debug, Clone)]
pub struct FmcCaller {
    pub user: String,
}

impl FromRequestParts<Fmc> for FmcCaller {
    type Rejection = FmcError;

    async fn from_request_parts(parts: &mut Parts, fmc: &Fmc) -> Result<Self, FmcError> {
        let token = header(&parts.headers, ACCESS_HEADER);
        let user = fmc.sessions().check(token, fmc.now_micros())?.user.clone();
        fmc.admit(&user)?;
        Ok(FmcCaller { user })
    }
}

/// The 204 reply carrying a token pair and the domain headers clients read.
fn token_reply(user: &str, access: &str, refresh: &str) -> Response {
    let domains: Vec<_> = DOMAINS
        .iter()
        .map(|d| json!({"name": d.name, "uuid": d.uuid}))
        .collect();
    let global = DOMAINS[0].uuid;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    let values = [
        ("X-auth-access-token", access.to_owned()),
        ("X-auth-refresh-token", refresh.to_owned()),
        ("USER_UUID", name_uuid(&format!("fmc-user:{user}"))),
        ("DOMAIN_ID", "111".to_owned()),
        ("DOMAIN_UUID", global.to_owned()),
        ("global", global.to_owned()),
        ("DOMAINS", serde_json::Value::Array(domains).to_string()),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// `POST /api/fmc_platform/v1/auth/generatetoken` with HTTP Basic; any body (often none or
/// `null`) is ignored. Bad or missing credentials → 401 "User authentication failed". As on a
/// real FMC, a login ends the same user's older sessions (fmcapi #94) unless the simulator is
/// configured without `session_takeover`.
pub async fn generate(State(fmc): State<Fmc>, parts: Parts) -> Result<Response, FmcError> {
    let (name, password) = basic_credentials(&parts).ok_or(FmcError::AuthenticationFailed)?;
    let user = fmc
        .user(&name)
        .filter(|u| u.password == password)
        .ok_or(FmcError::AuthenticationFailed)?;
    fmc.admit(&user.name)?;
    let takeover = fmc.session_takeover();
    let session = fmc.sessions().issue(&user.name, takeover, fmc.now_micros());
    Ok(token_reply(
        &user.name,
        &session.access_token,
        &session.refresh_token,
    ))
}

/// `POST /api/fmc_platform/v1/auth/refreshtoken` with both token headers → 204 with a new
/// pair, at most three times per login; then 401 "Invalid refresh token".
pub async fn refresh(State(fmc): State<Fmc>, headers: HeaderMap) -> Result<Response, FmcError> {
    let access = header(&headers, ACCESS_HEADER);
    let refresh = header(&headers, REFRESH_HEADER);
    let session = fmc.sessions().refresh(access, refresh, fmc.now_micros())?;
    fmc.admit(&session.user)?;
    Ok(token_reply(
        &session.user,
        &session.access_token,
        &session.refresh_token,
    ))
}

/// `POST /api/fmc_platform/v1/auth/revokeaccess` with the access token → 204; the pair is dead.
pub async fn revoke(State(fmc): State<Fmc>, headers: HeaderMap) -> Result<StatusCode, FmcError> {
    let access = header(&headers, ACCESS_HEADER);
    fmc.sessions().revoke(access, fmc.now_micros())?;
    Ok(StatusCode::NO_CONTENT)
}
