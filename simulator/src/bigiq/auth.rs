//! The access-token check of every BIG-IQ call. Basic authentication is disabled, as on a
//! default BIG-IQ: only `X-F5-Auth-Token` with a live ACCESS token gets in.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::state::BigIq;
use super::tokens::TokenType;
use crate::peer::peer_of;
use crate::rest_error::F5Error;
use crate::users::Role;

/// A caller holding a live access token.
#[derive(Clone, Debug)]
pub struct BigIqCaller {
    pub user: String,
    /// Whether the user is an administrator, who may manage every user's tokens.
    pub admin: bool,
    /// The caller's address, for error bodies.
    pub referer: String,
}

impl FromRequestParts<BigIq> for BigIqCaller {
    type Rejection = F5Error;

    async fn from_request_parts(parts: &mut Parts, bigiq: &BigIq) -> Result<Self, F5Error> {
        let referer = peer_of(parts);
        let Some(token) = parts.headers.get("x-f5-auth-token") else {
            return Err(F5Error::framework(
                StatusCode::UNAUTHORIZED,
                format!(
                    "Authorization failed: no user authentication header or token detected. Uri:{} Referrer:{referer} Sender:{referer}",
                    parts.uri.path()
                ),
                &referer,
            ));
        };
        let token = token.to_str().unwrap_or_default();
        let checked = bigiq
            .live_token(token, Some(TokenType::Access))
            .map_err(|err| {
                F5Error::framework(StatusCode::UNAUTHORIZED, err.to_string(), &referer)
            })?;
        let user = checked.subject.user;
        let admin = bigiq.user(&user).is_some_and(|u| u.role == Role::Admin);
        Ok(BigIqCaller {
            user,
            admin,
            referer,
        })
    }
}
