//! Who is calling: a token in `X-F5-Auth-Token`, or HTTP Basic for local users.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::state::BigIp;
use super::token_store::Asker;
use crate::basic::basic_credentials;
use crate::peer::peer_of;
use crate::rest_error::F5Error;
use crate::users::{Role, User};

/// The header that carries a token.
pub const TOKEN_HEADER: &str = "x-f5-auth-token";

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    /// The token used, if the call was token-authenticated.
    pub token: Option<String>,
    /// The caller's address, for error bodies.
    pub referer: String,
}

impl Caller {
    pub fn asker(&self) -> Asker<'_> {
        Asker {
            user: &self.user.name,
            admin: self.user.role == Role::Admin,
        }
    }
}

impl FromRequestParts<BigIp> for Caller {
    type Rejection = F5Error;

    async fn from_request_parts(parts: &mut Parts, bigip: &BigIp) -> Result<Self, F5Error> {
        let referer = peer_of(parts);
        let unauthorized =
            |message: &str| F5Error::framework(StatusCode::UNAUTHORIZED, message, &referer);

        if let Some(token) = parts.headers.get(TOKEN_HEADER) {
            let token = token.to_str().unwrap_or_default();
            let user_name = bigip
                .tokens()
                .check(token, bigip.now_micros())
                .map(|record| record.user_name.clone())
                .map_err(|err| unauthorized(&err.to_string()))?;
            // A token outlives the deletion of its user only until the next call.
            let user = bigip
                .user(&user_name)
                .cloned()
                .ok_or_else(|| unauthorized("X-F5-Auth-Token does not exist."))?;
            return Ok(Caller {
                user,
                token: Some(token.to_owned()),
                referer,
            });
        }

        if let Some((name, password)) = basic_credentials(parts) {
            return match bigip.user(&name) {
                Some(user) if user.password == password => Ok(Caller {
                    user: user.clone(),
                    token: None,
                    referer,
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
