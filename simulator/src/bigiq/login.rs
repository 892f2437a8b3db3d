//! `POST /mgmt/shared/authn/login` (access + refresh token) and
//! `POST /mgmt/shared/authn/exchange` (refresh token → new access token).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::state::BigIq;
use super::tokens::{Subject, TokenType, mint};
use crate::f5_extract::F5Body;
use crate::name_uuid::name_uuid;
use crate::origin::called_host;
use crate::peer::peer_of;
use crate::rest_error::F5Error;

const PROVIDERS: &str = "/mgmt/cm/system/authn/providers/";
const LOCAL_LOGIN: &str = "https://localhost/mgmt/cm/system/authn/providers/local/login";

/// The provider a login asks for, as `(provider name, login link)`: `loginReference.link`
/// (empty or absent → `local`), or `loginProviderName`. `tmos` also means the local provider:
/// bigrest and f5-sdk send it by default against BIG-IQ and are known to work with real
/// devices (inferred from clients). A remote provider's link names it by name
/// (`…/providers/<name>/login`) or by type and name or name UUID
/// (`…/providers/ldap/<uuid("corp-ldap")>/login`). `None`: no such provider.
pub fn login_provider(
    link: &str,
    name: &str,
    remote_providers: &[String],
) -> Option<(String, String)> {
    if link.is_empty() {
        if name.is_empty() || name == "local" || name == "tmos" {
            return Some(("local".to_owned(), LOCAL_LOGIN.to_owned()));
        }
        return remote_providers
            .iter()
            .find(|p| p.as_str() == name)
            .map(|p| {
                let link = format!(
                    "https://localhost/mgmt/cm/system/authn/providers/ldap/{}/login",
                    name_uuid(p)
                );
                (p.clone(), link)
            });
    }
    // `https://localhost/mgmt/cm/system/authn/providers/<…>/login`, any host.
    let path = link
        .split_once("://")
        .map_or(link, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let named = path
        .strip_prefix(PROVIDERS)?
        .strip_suffix("/login")?
        .split('/')
        .collect::<Vec<_>>();
    let names = |p: &str| named.iter().any(|n| *n == p || *n == name_uuid(p));
    match named.as_slice() {
        ["local"] => Some(("local".to_owned(), LOCAL_LOGIN.to_owned())),
        [_] | [_, _] => remote_providers
            .iter()
            .find(|p| names(p))
            .map(|p| (p.clone(), link.to_owned())),
        _ => None,
    }
}

fn provider(bigiq: &BigIq, request: &Value) -> Option<(String, String)> {
    let text = |pointer: &str| {
        request
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    login_provider(
        text("/loginReference/link"),
        text("/loginProviderName"),
        bigiq.remote_providers(),
    )
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
        address: called_host(&parts),
    };
    let now = bigiq.now_micros();
    let signer = bigiq.signer();
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
/// "Invalid registered claims."; a deleted one → 401 "X-F5-Auth-Token does not exist.". Any
/// `Authorization` header (some clients send
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
    let signer = bigiq.signer();
    let mut subject = bigiq
        .live_token(token, Some(TokenType::Refresh))
        .map_err(|err| F5Error::framework(StatusCode::UNAUTHORIZED, err.to_string(), &referer))?
        .subject;
    subject.address = called_host(&parts);
    Ok(Json(json!({
        "token": mint(signer, TokenType::Access, &subject, bigiq.next_generation(), now),
        "generation": bigiq.next_generation(),
        "lastUpdateMicros": now,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_links_name_local_or_a_configured_remote_provider() {
        let remote = vec!["corp-ldap".to_owned(), "radius1".to_owned()];
        let local = Some(("local".to_owned(), LOCAL_LOGIN.to_owned()));
        assert_eq!(login_provider("", "", &remote), local);
        assert_eq!(login_provider("", "tmos", &remote), local);
        assert_eq!(login_provider(LOCAL_LOGIN, "", &remote), local);
        let by_name = "https://localhost/mgmt/cm/system/authn/providers/corp-ldap/login";
        assert_eq!(
            login_provider(by_name, "", &remote),
            Some(("corp-ldap".to_owned(), by_name.to_owned()))
        );
        let by_uuid = format!(
            "https://localhost/mgmt/cm/system/authn/providers/radius/{}/login",
            name_uuid("radius1")
        );
        assert_eq!(login_provider(&by_uuid, "", &remote).unwrap().0, "radius1");
        for unknown in [
            "https://localhost/mgmt/cm/system/authn/providers/other/login",
            "https://localhost/mgmt/cm/system/authn/providers/corp-ldap",
            "https://localhost/mgmt/cm/corp-ldap/login",
            "https://localhost/mgmt/cm/system/authn/providers/a/b/corp-ldap/login",
            "not a link",
        ] {
            assert_eq!(login_provider(unknown, "", &remote), None, "{unknown}");
        }
        assert_eq!(
            login_provider("", "corp-ldap", &remote).unwrap().0,
            "corp-ldap"
        );
        assert_eq!(login_provider("", "nobody", &remote), None);
    }
}
