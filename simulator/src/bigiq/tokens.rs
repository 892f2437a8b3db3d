//! BIG-IQ access (300 s) and refresh (36000 s) tokens: the claims they carry, the token
//! objects login and exchange return, and the checks every call makes.

use serde_json::{Value, json};

use super::jwt::{Signer, new_jti};

pub const ACCESS_TIMEOUT_SECS: i64 = 300;
pub const REFRESH_TIMEOUT_SECS: i64 = 36_000;

/// Why a presented token was refused. The expired text is the one the BIG-IQ docs quote;
/// the others follow the BIG-IP family (unverified).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BigIqTokenError {
    #[error("Invalid registered claims.")]
    Expired,
    /// Not signed by this device, not a JWT, or the wrong type (a refresh token used as an
    /// access token or the other way round).
    #[error("X-F5-Auth-Token does not exist.")]
    Unknown,
}

/// Which of the two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "ACCESS",
            TokenType::Refresh => "REFRESH",
        }
    }

    fn timeout_secs(self) -> i64 {
        match self {
            TokenType::Access => ACCESS_TIMEOUT_SECS,
            TokenType::Refresh => REFRESH_TIMEOUT_SECS,
        }
    }
}

/// Who a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub user: String,
    pub provider: String,
    /// The BIG-IQ's own address as the client reached it.
    pub address: String,
}

/// Mint a token of `kind` for `subject` at `now_micros` and return its object, in the shape
/// of the login reply's `token` / `refreshToken`. Timeouts are fixed; `exp` is absolute.
pub fn mint(
    signer: &Signer,
    kind: TokenType,
    subject: &Subject,
    generation: u64,
    now_micros: i64,
) -> Value {
    let iat = now_micros.div_euclid(1_000_000);
    let timeout = kind.timeout_secs();
    let claims = json!({
        "iss": "BIG-IQ",
        "jti": new_jti(),
        "sub": subject.user,
        "userName": subject.user,
        "authProviderName": subject.provider,
        "user": user_link(&subject.user),
        "type": kind.as_str(),
        "timeout": timeout,
        "iat": iat,
        "nbf": iat,
        "exp": iat + timeout,
    });
    let token = signer.sign(&claims);
    token_object(&token, &claims, &subject.address, generation, now_micros)
}

fn user_link(user: &str) -> String {
    format!("https://localhost/mgmt/shared/authz/users/{user}")
}

/// The token object for a token and its claims: what login and exchange return, and what
/// `/mgmt/shared/authz/tokens/<token>` shows. `address` is the BIG-IQ's own address as the
/// client reached it.
pub fn token_object(
    token: &str,
    claims: &Value,
    address: &str,
    generation: u64,
    last_update_micros: i64,
) -> Value {
    let user = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    json!({
        "token": token,
        "userName": user,
        "authProviderName": claims.get("authProviderName"),
        "user": {"link": user_link(user)},
        "groupReferences": [],
        "timeout": claims.get("timeout"),
        "address": address,
        "type": claims.get("type"),
        "jti": claims.get("jti"),
        "exp": claims.get("exp"),
        "iat": claims.get("iat"),
        "generation": generation,
        "lastUpdateMicros": last_update_micros,
        "kind": "shared:authz:tokens:authtokenitemstate",
        "selfLink": format!("https://localhost/mgmt/shared/authz/tokens/{token}"),
    })
}

/// A token that passed [`check`]: who it is for, and what identifies it for deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub subject: Subject,
    pub jti: String,
    /// Epoch seconds.
    pub exp: i64,
    pub claims: Value,
}

/// Check a presented token: signed here, of the expected type (any type when `kind` is
/// `None`), and not past `exp`. Deletions are the caller's to check (see `revocations`).
pub fn check(
    signer: &Signer,
    token: &str,
    kind: Option<TokenType>,
    now_micros: i64,
) -> Result<Checked, BigIqTokenError> {
    let claims = signer.verify(token).map_err(|_| BigIqTokenError::Unknown)?;
    let token_type = claims.get("type").and_then(Value::as_str);
    let known_type = [TokenType::Access, TokenType::Refresh]
        .into_iter()
        .any(|t| Some(t.as_str()) == token_type);
    if !known_type || kind.is_some_and(|k| Some(k.as_str()) != token_type) {
        return Err(BigIqTokenError::Unknown);
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(BigIqTokenError::Unknown)?;
    if now_micros.div_euclid(1_000_000) >= exp {
        return Err(BigIqTokenError::Expired);
    }
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    Ok(Checked {
        subject: Subject {
            user: text("sub"),
            provider: text("authProviderName"),
            address: String::new(),
        },
        jti: text("jti"),
        exp,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_476_679_718_000_000;

    fn subject() -> Subject {
        Subject {
            user: "admin".into(),
            provider: "local".into(),
            address: "10.0.0.1".into(),
        }
    }

    #[test]
    fn access_tokens_last_300_seconds_refresh_tokens_36000() {
        let signer = Signer::generate();
        let access = mint(&signer, TokenType::Access, &subject(), 1, NOW);
        let refresh = mint(&signer, TokenType::Refresh, &subject(), 2, NOW);
        assert_eq!(access["exp"], 1_476_680_018);
        assert!(access.get("expirationMicros").is_none());
        let a = access["token"].as_str().unwrap();
        let r = refresh["token"].as_str().unwrap();
        assert!(check(&signer, a, Some(TokenType::Access), NOW + 299_000_000).is_ok());
        assert_eq!(
            check(&signer, a, Some(TokenType::Access), NOW + 300_000_000),
            Err(BigIqTokenError::Expired)
        );
        assert_eq!(
            check(&signer, r, Some(TokenType::Access), NOW),
            Err(BigIqTokenError::Unknown)
        );
        assert!(check(&signer, r, Some(TokenType::Refresh), NOW + 35_999_000_000).is_ok());
        assert_eq!(
            check(&signer, r, Some(TokenType::Refresh), NOW + 36_000_000_000),
            Err(BigIqTokenError::Expired)
        );
    }
}
