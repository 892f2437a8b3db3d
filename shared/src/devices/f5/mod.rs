//! What BIG-IP and BIG-IQ share: F5's iControl REST framework — the token header, the login
//! endpoint, the token object both return, the token collection, and `https://localhost` links.

use serde::{Deserialize, Serialize};

use serde_json::Value;

use super::call::{Call, Reply};
use super::profile::{ErrorReading, LoginOutcome, ProtocolError};
use crate::session::{IssuedToken, IssuedTokens};

/// The header that carries a BIG-IP or BIG-IQ token.
pub const AUTH_TOKEN_HEADER: &str = "X-F5-Auth-Token";
/// Login endpoint (BIG-IP and BIG-IQ).
pub const LOGIN_PATH: &str = "/mgmt/shared/authn/login";
/// Token collection (one token: `…/tokens/<T>`).
pub const TOKENS_PATH: &str = "/mgmt/shared/authz/tokens";
/// The host every link in an F5 body names, whatever the device's real address.
pub const LINK_HOST: &str = "https://localhost";

/// `{"link": "…"}` references found throughout iControl REST bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub link: String,
}

/// A token object, as found in the login reply and in `/mgmt/shared/authz/tokens/<T>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    pub token: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub auth_provider_name: String,
    #[serde(default)]
    pub user: Option<Link>,
    /// Lifetime in seconds, counted from the last update of the token.
    #[serde(default)]
    pub timeout: u64,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// Epoch microseconds at which the token stops working (BIG-IP only; BIG-IQ sends `exp`).
    #[serde(default)]
    pub expiration_micros: Option<i64>,
    /// JWT expiry in epoch seconds (BIG-IQ).
    #[serde(default)]
    pub exp: Option<i64>,
    /// JWT issue time in epoch seconds (BIG-IQ).
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub last_update_micros: Option<i64>,
}

impl AuthToken {
    /// When this token expires, in epoch microseconds, if the device said so.
    pub fn expires_at_micros(&self) -> Option<i64> {
        self.expiration_micros
            .or_else(|| self.exp.map(|s| s.saturating_mul(1_000_000)))
    }

    /// When the device issued (or last updated) this token, in epoch microseconds.
    pub fn issued_at_micros(&self) -> Option<i64> {
        self.last_update_micros
            .filter(|m| *m > 0)
            .or_else(|| self.iat.map(|s| s.saturating_mul(1_000_000)))
    }

    /// The token as the session machine holds it (all times on the device's clock).
    pub fn issued(&self) -> IssuedToken {
        let lifetime = match (self.exp, self.iat) {
            (Some(exp), Some(iat)) if exp > iat && self.timeout == 0 => (exp - iat) as u64,
            _ => self.timeout,
        };
        IssuedToken::new(self.token.clone(), lifetime)
            .issued_at(self.issued_at_micros())
            .expires_at(self.expires_at_micros())
    }
}

/// Reply of a successful login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginReply {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub login_provider_name: Option<String>,
    pub token: AuthToken,
    #[serde(default)]
    pub refresh_token: Option<AuthToken>,
}

impl LoginReply {
    /// The tokens and the provider the device reports.
    pub fn outcome(&self) -> LoginOutcome {
        LoginOutcome {
            tokens: IssuedTokens {
                access: self.token.issued(),
                refresh: self.refresh_token.as_ref().map(AuthToken::issued),
            },
            scopes: Vec::new(),
        }
    }
}

/// Read a login reply (BIG-IP and BIG-IQ answer in the same shape).
pub fn read_login(reply: &Reply) -> Result<LoginOutcome, ProtocolError> {
    let login: LoginReply = serde_json::from_str(&reply.body)
        .map_err(|e| ProtocolError::not_json("login reply", &e))?;
    Ok(login.outcome())
}

/// Read a token object (`/mgmt/shared/authz/tokens/<T>` or a renewal's reply).
pub fn read_token(body: &str) -> Result<IssuedToken, ProtocolError> {
    serde_json::from_str::<AuthToken>(body)
        .map(|t| t.issued())
        .map_err(|e| ProtocolError::not_json("token", &e))
}

/// One token's resource: `/mgmt/shared/authz/tokens/<T>`.
pub fn token_path(token: &str) -> String {
    format!("{TOKENS_PATH}/{token}")
}

/// `DELETE /mgmt/shared/authz/tokens/<T>`, authenticated with `auth`.
pub fn delete_token(token: &str, auth: &str) -> Call {
    Call::new("DELETE", token_path(token)).header(AUTH_TOKEN_HEADER, auth)
}

/// `GET` of the session's own token: cheap, and it carries the device's clock.
pub fn own_token(token: &str) -> Call {
    Call::get(token_path(token)).header(AUTH_TOKEN_HEADER, token)
}

/// How BIG-IP and BIG-IQ errors read.
pub const ERRORS: ErrorReading = ErrorReading {
    message: error_message,
    advice,
};

/// The message of an iControl REST error body: framework errors
/// `{"code":401,"message":"…","referer":…,"kind":":resterrorresponse"}` and configuration errors
/// `{"code":404,"message":"…","errorStack":[],"apiError":3}`.
pub fn error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}

/// What to do about the failures BIG-IP and BIG-IQ document.
pub fn advice(status: u16, message: &str) -> Option<&'static str> {
    let m = message.to_ascii_lowercase();
    Some(match status {
        401 if m.contains("authentication failed") => {
            "Check the username, password and login provider, then log in again."
        }
        401 if m.contains("has expired") || m.contains("invalid registered claims") => {
            "The token expired. Log in again to get a new one."
        }
        401 if m.contains("does not exist") => {
            "The device no longer knows this token (it was deleted or the device restarted). Log in again."
        }
        400 if m.contains("maximum active login tokens") => {
            "This user holds too many tokens. Delete unused tokens on the Tokens page, or wait for them to expire."
        }
        400 if m.contains("authorization failed") => {
            "Only an administrator may manage another user's tokens."
        }
        406 if m.contains("absolute timeout") => "Choose a timeout of at most 36000 seconds.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advises_on_the_documented_failures() {
        let cases = [
            (401, "Authentication failed.", "password"),
            (401, "X-F5-Auth-Token has expired.", "expired"),
            (401, "Invalid registered claims.", "expired"),
            (401, "X-F5-Auth-Token does not exist.", "no longer knows"),
            (
                400,
                "user foo has reached maximum active login tokens",
                "too many tokens",
            ),
            (400, "Authorization failed", "administrator"),
            (
                406,
                "Auth-token absolute timeout (36000 seconds) exceeded",
                "36000",
            ),
        ];
        for (status, message, want) in cases {
            let tip = advice(status, message).unwrap_or_default();
            assert!(tip.contains(want), "{status} {message:?} gave {tip:?}");
        }
        assert_eq!(
            advice(
                404,
                "01020036:3: The requested Node (/Common/x) was not found."
            ),
            None
        );
    }

    #[test]
    fn reads_both_error_shapes() {
        let framework = r#"{"code":401,"message":"Authentication failed.","referer":"10.0.0.1","restOperationId":5,"kind":":resterrorresponse"}"#;
        assert_eq!(
            error_message(framework).as_deref(),
            Some("Authentication failed.")
        );
        let configuration = r#"{"code":404,"message":"01020036:3: The requested Node (/Common/x) was not found.","errorStack":[],"apiError":3}"#;
        assert!(
            error_message(configuration)
                .unwrap()
                .contains("was not found")
        );
        assert_eq!(error_message("<html>502</html>"), None);
        assert_eq!(error_message(r#"{"items":[]}"#), None);
    }

    const LOGIN: &str = r#"{
      "username": "foo",
      "loginReference": {"link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"},
      "loginProviderName": "tmos",
      "token": {
        "token": "DCECRMQ66WOSPTSGPR7OAGG5SI", "name": "DCECRMQ66WOSPTSGPR7OAGG5SI",
        "userName": "foo", "authProviderName": "tmos",
        "user": {"link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8"},
        "timeout": 1200, "startTime": "2020-04-30T10:18:49.471+1200", "address": "",
        "partition": "[All]", "generation": 1, "lastUpdateMicros": 1588198729470534,
        "expirationMicros": 1588199929471000, "kind": "shared:authz:tokens:authtokenitemstate",
        "selfLink": "https://localhost/mgmt/shared/authz/tokens/DCECRMQ66WOSPTSGPR7OAGG5SI"
      },
      "generation": 0, "lastUpdateMicros": 0
    }"#;

    #[test]
    fn reads_the_seed_login_reply() {
        let reply: LoginReply = serde_json::from_str(LOGIN).unwrap();
        assert_eq!(reply.token.token, "DCECRMQ66WOSPTSGPR7OAGG5SI");
        assert_eq!(reply.token.timeout, 1200);
        assert_eq!(reply.token.expires_at_micros(), Some(1588199929471000));
        assert_eq!(reply.refresh_token, None);
    }

    #[test]
    fn bigiq_tokens_expire_by_exp_seconds() {
        let token: AuthToken = serde_json::from_value(serde_json::json!({
            "token": "eyJ…", "timeout": 300, "exp": 1476680018
        }))
        .unwrap();
        assert_eq!(token.expires_at_micros(), Some(1_476_680_018_000_000));
    }

    #[test]
    fn the_seed_login_becomes_a_session_token_on_the_devices_clock() {
        let outcome = read_login(&Reply {
            status: 200,
            headers: Vec::new(),
            body: LOGIN.into(),
        })
        .unwrap();
        let access = outcome.tokens.access;
        assert_eq!(access.lifetime_secs, 1200);
        assert_eq!(access.issued_at_micros, Some(1588198729470534));
        assert_eq!(access.expires_at_micros, Some(1588199929471000));
        assert!(outcome.tokens.refresh.is_none());
    }

    #[test]
    fn bigiq_jwts_carry_issue_and_expiry_seconds() {
        let token: AuthToken = serde_json::from_value(serde_json::json!({
            "token": "eyJ…", "timeout": 300, "iat": 1476679718, "exp": 1476680018
        }))
        .unwrap();
        let issued = token.issued();
        assert_eq!(issued.lifetime_secs, 300);
        assert_eq!(issued.issued_at_micros, Some(1_476_679_718_000_000));
    }
}
