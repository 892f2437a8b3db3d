//! Tokens deleted before their end. BIG-IQ tokens are self-contained JWTs, so a deletion is
//! remembered by the token's `jti` until the token would have expired anyway — which also
//! bounds the list: it never holds more entries than there are live tokens.
//!
//! Pure state; callers pass "now" in epoch microseconds.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Revocations {
    /// `jti` → the token's `exp` (epoch seconds).
    deleted: HashMap<String, i64>,
}

impl Revocations {
    /// Remember that the token `jti`, valid until `exp`, was deleted.
    pub fn revoke(&mut self, jti: &str, exp: i64, now_micros: i64) {
        self.purge(now_micros);
        self.deleted.insert(jti.to_owned(), exp);
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.deleted.contains_key(jti)
    }

    fn purge(&mut self, now_micros: i64) {
        let now = now_micros.div_euclid(1_000_000);
        self.deleted.retain(|_, exp| *exp > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletions_are_forgotten_once_the_token_would_have_expired() {
        let mut revocations = Revocations::default();
        revocations.revoke("a", 100, 0);
        assert!(revocations.is_revoked("a"));
        revocations.revoke("b", 500, 100_000_000);
        assert!(!revocations.is_revoked("a"), "a expired at 100 s");
        assert!(revocations.is_revoked("b"));
    }
}
