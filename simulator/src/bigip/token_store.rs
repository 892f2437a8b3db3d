//! The BIG-IP token table: issuing, checking, listing, re-timing and deleting `tmos` tokens.
//!
//! Pure state: every operation takes "now" (epoch microseconds) from the caller, so the rules
//! are tested without a clock or a network.

use std::collections::HashMap;

use rand::Rng;
use serde_json::{Value, json};

use super::links;

/// Token lifetime when the client does not change it.
pub const DEFAULT_TIMEOUT_SECS: u64 = 1200;
/// Longest `timeout` a token may be given.
pub const MAX_TIMEOUT_SECS: u64 = 36_000;
/// Active tokens one user may hold (the user named `admin` is exempt).
pub const MAX_TOKENS_PER_USER: usize = 100;
/// Expired tokens are remembered this long, so that using one still reads "has expired"
/// rather than "does not exist" (unverified: the device's own purge interval is unknown).
const REMEMBER_EXPIRED_MICROS: i64 = 24 * 3600 * 1_000_000;

/// Why a token operation was refused. The texts are the device's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("X-F5-Auth-Token does not exist.")]
    Unknown,
    #[error("X-F5-Auth-Token has expired.")]
    Expired,
    #[error("user {0} has reached maximum active login tokens")]
    TooMany(String),
    #[error("Auth-token absolute timeout ({MAX_TIMEOUT_SECS} seconds) exceeded")]
    TimeoutTooLong,
    #[error("Invalid timeout value: {0}")]
    BadTimeout(String),
    /// A non-administrator touched another user's token (the wording after "Authorization
    /// failed" follows the framework's authorization messages; unverified).
    #[error(
        "Authorization failed: user=https://localhost/mgmt/shared/authz/users/{user} resource=/mgmt/shared/authz/tokens/{token} verb={verb}"
    )]
    NotYours {
        user: String,
        token: String,
        verb: String,
    },
    /// The token named in the path does not exist (or has expired).
    #[error("Object not found: /mgmt/shared/authz/tokens/{0}")]
    NotFound(String),
}

/// One issued token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub token: String,
    pub user_name: String,
    pub provider: String,
    pub address: String,
    pub timeout_secs: u64,
    /// Issue time, rounded to the millisecond as the device reports `startTime`.
    pub start_micros: i64,
    pub last_update_micros: i64,
    pub generation: u64,
}

impl TokenRecord {
    /// `startTime + timeout`: the timeout is absolute, counted from issue (which is why it is
    /// capped at 36000 s), so a PATCH moves the expiry relative to the original login.
    pub fn expiration_micros(&self) -> i64 {
        self.start_micros + self.timeout_secs as i64 * 1_000_000
    }

    pub fn is_active(&self, now: i64) -> bool {
        now < self.expiration_micros()
    }

    /// The token object as login and `/mgmt/shared/authz/tokens/<T>` show it.
    pub fn to_json(&self) -> Value {
        json!({
            "token": self.token,
            "name": self.token,
            "userName": self.user_name,
            "authProviderName": self.provider,
            "user": {"link": links::user_link(&self.provider, &self.user_name)},
            "groupReferences": [],
            "timeout": self.timeout_secs,
            "startTime": links::format_start_time(self.start_micros),
            "address": self.address,
            "partition": "[All]",
            "generation": self.generation,
            "lastUpdateMicros": self.last_update_micros,
            "expirationMicros": self.expiration_micros(),
            "kind": "shared:authz:tokens:authtokenitemstate",
            "selfLink": format!("https://localhost/mgmt/shared/authz/tokens/{}", self.token),
        })
    }
}

/// Who is asking, for the ownership rule.
#[derive(Clone, Copy, Debug)]
pub struct Asker<'a> {
    pub user: &'a str,
    pub admin: bool,
}

/// A 26-character token from the base32 alphabet, like `DCECRMQ66WOSPTSGPR7OAGG5SI`.
pub fn new_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    (0..26)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// All tokens of one device.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: HashMap<String, TokenRecord>,
}

impl TokenStore {
    /// Issue a token for `user`, enforcing the per-user limit.
    pub fn issue(
        &mut self,
        user: &str,
        provider: &str,
        address: &str,
        now: i64,
    ) -> Result<TokenRecord, TokenError> {
        self.forget_old(now);
        let active = self
            .tokens
            .values()
            .filter(|t| t.user_name == user && t.is_active(now))
            .count();
        if user != "admin" && active >= MAX_TOKENS_PER_USER {
            return Err(TokenError::TooMany(user.to_owned()));
        }
        let start = now - now.rem_euclid(1000);
        let mut token = new_token();
        while self.tokens.contains_key(&token) {
            token = new_token();
        }
        let record = TokenRecord {
            token,
            user_name: user.to_owned(),
            provider: provider.to_owned(),
            address: address.to_owned(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            start_micros: start,
            last_update_micros: now,
            generation: 1,
        };
        self.tokens.insert(record.token.clone(), record.clone());
        Ok(record)
    }

    /// The record behind an `X-F5-Auth-Token` header.
    pub fn check(&self, token: &str, now: i64) -> Result<&TokenRecord, TokenError> {
        match self.tokens.get(token) {
            None => Err(TokenError::Unknown),
            Some(record) if !record.is_active(now) => Err(TokenError::Expired),
            Some(record) => Ok(record),
        }
    }

    /// Active tokens the asker may see (administrators see everyone's), oldest first.
    pub fn list(&self, asker: Asker<'_>, now: i64) -> Vec<&TokenRecord> {
        let mut visible: Vec<_> = self
            .tokens
            .values()
            .filter(|t| t.is_active(now) && (asker.admin || t.user_name == asker.user))
            .collect();
        visible.sort_by(|a, b| (a.start_micros, &a.token).cmp(&(b.start_micros, &b.token)));
        visible
    }

    fn owned(
        &mut self,
        token: &str,
        asker: Asker<'_>,
        verb: &str,
        now: i64,
    ) -> Result<&mut TokenRecord, TokenError> {
        let record = self
            .tokens
            .get_mut(token)
            .filter(|t| t.is_active(now))
            .ok_or_else(|| TokenError::NotFound(token.to_owned()))?;
        if !asker.admin && record.user_name != asker.user {
            return Err(TokenError::NotYours {
                user: asker.user.to_owned(),
                token: token.to_owned(),
                verb: verb.to_owned(),
            });
        }
        Ok(record)
    }

    pub fn get(
        &mut self,
        token: &str,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<TokenRecord, TokenError> {
        self.owned(token, asker, "GET", now).map(|r| r.clone())
    }

    /// Give a token a new `timeout` (seconds, counted from its start).
    pub fn retime(
        &mut self,
        token: &str,
        timeout: &Value,
        asker: Asker<'_>,
        verb: &str,
        now: i64,
    ) -> Result<TokenRecord, TokenError> {
        let secs = parse_timeout(timeout)?;
        let record = self.owned(token, asker, verb, now)?;
        if secs > MAX_TIMEOUT_SECS {
            return Err(TokenError::TimeoutTooLong);
        }
        record.timeout_secs = secs;
        record.last_update_micros = now;
        record.generation += 1;
        Ok(record.clone())
    }

    pub fn delete(
        &mut self,
        token: &str,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<TokenRecord, TokenError> {
        self.owned(token, asker, "DELETE", now)?;
        self.tokens
            .remove(token)
            .ok_or_else(|| TokenError::NotFound(token.to_owned()))
    }

    /// Remove every token (the caller must be an administrator). Returns the removed ones.
    pub fn delete_all(
        &mut self,
        asker: Asker<'_>,
        now: i64,
    ) -> Result<Vec<TokenRecord>, TokenError> {
        if !asker.admin {
            return Err(TokenError::NotYours {
                user: asker.user.to_owned(),
                token: String::new(),
                verb: "DELETE".to_owned(),
            });
        }
        let removed = self
            .tokens
            .drain()
            .map(|(_, t)| t)
            .filter(|t| t.is_active(now))
            .collect();
        Ok(removed)
    }

    fn forget_old(&mut self, now: i64) {
        self.tokens
            .retain(|_, t| t.expiration_micros() + REMEMBER_EXPIRED_MICROS > now);
    }
}

/// `timeout` as clients send it: a number or a numeric string.
fn parse_timeout(value: &Value) -> Result<u64, TokenError> {
    let parsed = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed
        .filter(|secs| *secs > 0)
        .ok_or_else(|| TokenError::BadTimeout(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_588_198_729_470_534;
    const FOO: Asker<'static> = Asker {
        user: "foo",
        admin: false,
    };
    const ADMIN: Asker<'static> = Asker {
        user: "admin",
        admin: true,
    };

    #[test]
    fn tokens_use_the_base32_alphabet() {
        let token = new_token();
        assert_eq!(token.len(), 26);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
        );
    }

    #[test]
    fn expiry_counts_from_the_millisecond_start() {
        let mut store = TokenStore::default();
        let t = store.issue("foo", "tmos", "10.0.0.1", NOW).unwrap();
        assert_eq!(t.expiration_micros(), 1_588_199_929_470_000);
        assert_eq!(store.check(&t.token, NOW + 1_199_000_000), Ok(&t));
        assert_eq!(
            store.check(&t.token, NOW + 1_200_000_000),
            Err(TokenError::Expired)
        );
        assert_eq!(store.check("NOPE", NOW), Err(TokenError::Unknown));
    }

    #[test]
    fn limit_applies_to_everyone_but_admin() {
        let mut store = TokenStore::default();
        for _ in 0..MAX_TOKENS_PER_USER {
            store.issue("foo", "tmos", "", NOW).unwrap();
            store.issue("admin", "tmos", "", NOW).unwrap();
        }
        assert_eq!(
            store.issue("foo", "tmos", "", NOW),
            Err(TokenError::TooMany("foo".into()))
        );
        assert!(store.issue("admin", "tmos", "", NOW).is_ok());
        // Expired tokens no longer count.
        assert!(store.issue("foo", "tmos", "", NOW + 1_200_000_000).is_ok());
    }

    #[test]
    fn only_owners_and_admins_manage_a_token() {
        let mut store = TokenStore::default();
        let mine = store.issue("admin", "tmos", "", NOW).unwrap();
        let theirs = store.issue("foo", "tmos", "", NOW).unwrap();
        assert!(matches!(
            store.get(&mine.token, FOO, NOW),
            Err(TokenError::NotYours { .. })
        ));
        assert!(store.get(&theirs.token, FOO, NOW).is_ok());
        assert!(store.get(&theirs.token, ADMIN, NOW).is_ok());
        assert_eq!(store.list(FOO, NOW).len(), 1);
        assert_eq!(store.list(ADMIN, NOW).len(), 2);
        assert!(store.delete_all(FOO, NOW).is_err());
        assert_eq!(store.delete_all(ADMIN, NOW).unwrap().len(), 2);
    }

    #[test]
    fn retiming_caps_at_ten_hours() {
        let mut store = TokenStore::default();
        let t = store.issue("foo", "tmos", "", NOW).unwrap();
        let longer = store
            .retime(&t.token, &json!(4200), FOO, "PATCH", NOW)
            .unwrap();
        assert_eq!(longer.expiration_micros(), t.start_micros + 4_200_000_000);
        assert_eq!(longer.generation, 2);
        assert_eq!(
            store.retime(&t.token, &json!("36001"), FOO, "PATCH", NOW),
            Err(TokenError::TimeoutTooLong)
        );
        assert!(matches!(
            store.retime(&t.token, &json!("soon"), FOO, "PATCH", NOW),
            Err(TokenError::BadTimeout(_))
        ));
    }
}
