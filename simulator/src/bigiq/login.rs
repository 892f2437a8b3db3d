//! `POST /mgmt/shared/authn/login` (access + refresh token) and
//! `POST /mgmt/shared/authn/exchange` (refresh token → new access token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Value, json};
use shared::devices::bigip::user_uuid::f5_name_uuid;

use super::BigIq;
use super::tokens::{Subject, TokenType, check, mint};
use crate::f5_extract::F5Body;
use crate::peer::peer_of;
use crate::rest_error::F5Error;

const LOCAL_LOGIN: &str = "https://localhost/mgmt/cm/system/authn/providers/local/login";

/// The provider a login asks for: `loginReference.link` (empty or absent → `local`), or
/// `loginProviderName`. `tmos` also means the local provider: bigrest and f5-sdk send it by
/// default against BIG-IQ and are known to work with real devices (inferred from clients). A remote provider's link names it by name or by its name UUID, e.g.
/// `…/providers/ldap/<uuid("corp-ldap")>/login`.
fn provider(bigiq: &BigIq, request: &Value) -> Option<(String, String)> {
    let link = request
        .pointer("/loginReference/link")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = request
        .get("loginProviderName")
        .and_then(Value::as_str)
        .unwrap_or("");
    if (link.is_empty() && (name.is_empty() || name == "local" || name == "tmos"))
        || link.ends_with("/providers/local/login")
    {
        return Some(("local".to_owned(), LOCAL_LOGIN.to_owned()));
    }
    bigiq
        .remote_providers()
        .iter()
        .find(|p| {
            if link.is_empty() {
                p.as_str() == name
            } else {
                link.contains(&format!("/{p}/")) || link.contains(&f5_name_uuid(p))
            }
        })
        .map(|p| {
            let link = if link.is_empty() {
                format!(
                    "https://localhost/mgmt/cm/system/authn/providers/ldap/{}/login",
                    f5_name_uuid(p)
                )
            } else {
                link.to_owned()
            };
            (p.clone(), link)
        })
}

/// The BIG-IQ's own address as the client reached it (the tokens' `address`).
fn own_address(parts: &Parts) -> String {
    let origin = crate::fmc::origin(parts);
    let authority = origin.trim_start_matches("https://");
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_owned(),
        _ => authority.to_owned(),
    }
}

/// Log in. Unknown provider, unknown user or wrong password → 401 "Authentication failed.".
pub async fn login(
    State(bigiq): State<BigIq>,
    parts: Parts,
    F5Body(body): F5Body,
) -> Result<Json<Value>, F5Error> {
    let referer = peer_of(&parts);
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
    let (provider, login_link) = provider(&bigiq, &request).ok_or_else(failed)?;
    let user = bigiq
        .user(username)
        .filter(|u| u.password == password)
        .ok_or_else(failed)?;
    let subject = Subject {
        user: user.name.clone(),
        provider: provider.clone(),
        address: own_address(&parts),
    };
    let now = bigiq.now_micros();
    let signer = &bigiq.inner.signer;
    Ok(Json(json!({
        "username": user.name,
        "loginReference": {"link": login_link},
        "loginProviderName": provider,
        "token": mint(signer, TokenType::Access, &subject, bigiq.next_generation(), now),
        "refreshToken": mint(signer, TokenType::Refresh, &subject, bigiq.next_generation(), now),
        "generation": bigiq.next_generation(),
        "lastUpdateMicros": now,
    })))
}

/// Exchange `{"refreshToken":{"token":"<jwt>"}}` for a new 300 s access token. The refresh
/// token keeps its original `exp` (its 10-hour clock never resets); once past it → 401
/// "Invalid registered claims.". Any `Authorization` header (some clients send
/// `Basic Tm9uZTpOb25l`) is ignored.
pub async fn exchange(
    State(bigiq): State<BigIq>,
    parts: Parts,
    F5Body(body): F5Body,
) -> Result<Json<Value>, F5Error> {
    let referer = peer_of(&parts);
    let token = body
        .as_ref()
        .and_then(|b| b.pointer("/refreshToken/token"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            F5Error::framework(
                StatusCode::BAD_REQUEST,
                "refreshToken.token is required.",
                &referer,
            )
        })?;
    let now = bigiq.now_micros();
    let signer = &bigiq.inner.signer;
    let mut subject = check(signer, token, TokenType::Refresh, now)
        .map_err(|err| F5Error::framework(StatusCode::UNAUTHORIZED, err.to_string(), &referer))?;
    subject.address = own_address(&parts);
    Ok(Json(json!({
        "token": mint(signer, TokenType::Access, &subject, bigiq.next_generation(), now),
        "generation": bigiq.next_generation(),
        "lastUpdateMicros": now,
    })))
}
