//! Who is calling: a token in `X-F5-Auth-Token`, or HTTP Basic for local users.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use base64::Engine;

use super::{BigIp, referer};
use crate::rest_error;

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_name: String,
    /// The token used, if the call was token-authenticated.
    pub token: Option<String>,
}

impl FromRequestParts<BigIp> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, bigip: &BigIp) -> Result<Self, Response> {
        let referer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| referer(*peer))
            .unwrap_or_default();
        let unauthorized =
            |message: &str| rest_error::framework(StatusCode::UNAUTHORIZED, message, &referer);

        if let Some(token) = parts.headers.get("x-f5-auth-token") {
            let token = token.to_str().unwrap_or_default();
            let now = bigip.now_micros();
            let tokens = bigip.tokens();
            return match tokens.get(token) {
                None => Err(unauthorized("X-F5-Auth-Token does not exist.")),
                Some(record) if record.expiration_micros() <= now => {
                    Err(unauthorized("X-F5-Auth-Token has expired."))
                }
                Some(record) => Ok(Caller {
                    user_name: record.user_name.clone(),
                    token: Some(record.token.clone()),
                }),
            };
        }

        if let Some(basic) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            let (name, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
            return match bigip.user(name) {
                Some(user) if user.password == password => Ok(Caller {
                    user_name: user.name.clone(),
                    token: None,
                }),
                _ => Err(unauthorized("Authentication failed.")),
            };
        }

        Err(unauthorized(&format!(
            "Authorization failed: no user authentication header or token detected. Uri:{} Referrer:{referer} Sender:{referer}",
            parts.uri.path()
        )))
    }
}
