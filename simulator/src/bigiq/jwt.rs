//! Compact JWTs signed with HS256 under a per-device random key (RFC 7519 / RFC 7515).
//!
//! Hand-rolled on `hmac` + `sha2` + `base64` to keep the dependency graph small (and free of
//! aws-lc-rs). Only signing and signature checks live here; claim rules are in `tokens`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token string is not a JWT this device signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a compact JWT")]
    Malformed,
    #[error("the token's signature does not verify")]
    BadSignature,
}

/// A device's signing key and its key id (`kid` in every header).
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
    kid: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Signer {
            key,
            kid: uuid::Uuid::new_v4().to_string(),
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    /// `base64url(header).base64url(claims).base64url(HMAC-SHA256)`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"kid": self.kid, "alg": "HS256", "typ": "JWT"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// The claims of a token this signer made, if its signature verifies.
    pub fn verify(&self, token: &str) -> Result<Value, JwtError> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| JwtError::Malformed)?;
        let mut mac = self.mac();
        mac.update(format!("{header}.{claims}").as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| JwtError::BadSignature)?;
        let header: Value = decode_part(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(JwtError::Malformed);
        }
        decode_part(claims)
    }
}

fn decode_part(part: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

/// 16 random bytes, base64url: the `jti` form of the seed (`eem2pBY8pmRQPFd1oQBxeQ`).
pub fn new_jti() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_round_trip_and_tampering_is_caught() {
        let signer = Signer::generate();
        let token = signer.sign(&json!({"sub": "admin", "exp": 10}));
        assert!(token.starts_with("eyJ"));
        assert_eq!(signer.verify(&token).unwrap()["sub"], "admin");
        let other = Signer::generate();
        assert_eq!(other.verify(&token), Err(JwtError::BadSignature));
        let forged = format!(
            "{}.{}.{}",
            token.split('.').next().unwrap(),
            URL_SAFE_NO_PAD.encode(json!({"sub": "root", "exp": 10}).to_string()),
            token.rsplit('.').next().unwrap()
        );
        assert_eq!(signer.verify(&forged), Err(JwtError::BadSignature));
        assert_eq!(signer.verify("abc"), Err(JwtError::Malformed));
        assert_eq!(new_jti().len(), 22);
    }
}
