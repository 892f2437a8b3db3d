//! FMC API sessions: an access/refresh token pair per login, 30-minute lifetime, at most
//! three refreshes.
//!
//! Pure state; callers pass "now" in epoch microseconds.

use std::collections::HashMap;

use super::error::FmcError;

/// Lifetime of both tokens of a pair. Seed 004 asks for *valid* access and refresh tokens
/// before a refresh, so the refresh token is taken to expire with its access token.
pub const TOKEN_LIFETIME_SECS: i64 = 30 * 60;
/// Refreshes allowed per login. The fourth attempt gets 401 "Invalid refresh token" and the
/// client must call `generatetoken` again; the current pair stays usable until it expires.
pub const MAX_REFRESHES: u32 = 3;

/// One token pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_micros: i64,
    /// How many refreshes the login this pair descends from has used.
    pub refreshes: u32,
}

impl Session {
    fn new(user: &str, refreshes: u32, now: i64) -> Self {
        Session {
            user: user.to_owned(),
            access_token: uuid::Uuid::new_v4().to_string(),
            refresh_token: uuid::Uuid::new_v4().to_string(),
            expires_micros: now + TOKEN_LIFETIME_SECS * 1_000_000,
            refreshes,
        }
    }

    fn is_active(&self, now: i64) -> bool {
        now < self.expires_micros
    }
}

/// Every live session, keyed by access token.
#[derive(Debug, Default)]
pub struct SessionStore {
    sessions: HashMap<String, Session>,
}

impl SessionStore {
    /// `generatetoken`: a fresh pair with no refreshes used. With `takeover`, as on a real
    /// FMC, the user's older sessions end here: their access tokens get "Access token
    /// invalid." and their refresh tokens "Invalid refresh token" from now on.
    pub fn issue(&mut self, user: &str, takeover: bool, now: i64) -> Session {
        self.sessions
            .retain(|_, s| s.is_active(now) && !(takeover && s.user == user));
        let session = Session::new(user, 0, now);
        self.sessions
            .insert(session.access_token.clone(), session.clone());
        session
    }

    /// The session behind an `X-auth-access-token` header.
    pub fn check(&self, access_token: &str, now: i64) -> Result<&Session, FmcError> {
        self.sessions
            .get(access_token)
            .filter(|s| s.is_active(now))
            .ok_or(FmcError::AccessTokenInvalid)
    }

    /// `refreshtoken`: both headers must name the same live pair and fewer than three
    /// refreshes may have been used. The old pair stops working.
    pub fn refresh(
        &mut self,
        access_token: &str,
        refresh_token: &str,
        now: i64,
    ) -> Result<Session, FmcError> {
        let old = self
            .sessions
            .get(access_token)
            .filter(|s| {
                s.is_active(now) && s.refresh_token == refresh_token && s.refreshes < MAX_REFRESHES
            })
            .cloned()
            .ok_or(FmcError::InvalidRefreshToken)?;
        self.sessions.remove(access_token);
        let session = Session::new(&old.user, old.refreshes + 1, now);
        self.sessions
            .insert(session.access_token.clone(), session.clone());
        Ok(session)
    }

    /// `revokeaccess`: end the session of this access token.
    pub fn revoke(&mut self, access_token: &str, now: i64) -> Result<(), FmcError> {
        self.check(access_token, now)?;
        self.sessions.remove(access_token);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000_000;
    const MINUTE: i64 = 60_000_000;

    #[test]
    fn pairs_last_thirty_minutes() {
        let mut store = SessionStore::default();
        let s = store.issue("admin", false, NOW);
        assert!(store.check(&s.access_token, NOW + 30 * MINUTE - 1).is_ok());
        assert_eq!(
            store.check(&s.access_token, NOW + 30 * MINUTE),
            Err(FmcError::AccessTokenInvalid)
        );
    }

    #[test]
    fn three_refreshes_then_invalid_refresh_token() {
        let mut store = SessionStore::default();
        let mut s = store.issue("admin", false, NOW);
        for n in 1..=3 {
            let next = store
                .refresh(&s.access_token, &s.refresh_token, NOW)
                .unwrap();
            assert_eq!(next.refreshes, n);
            assert!(
                store.check(&s.access_token, NOW).is_err(),
                "old pair is gone"
            );
            s = next;
        }
        assert_eq!(
            store.refresh(&s.access_token, &s.refresh_token, NOW),
            Err(FmcError::InvalidRefreshToken)
        );
        assert!(
            store.check(&s.access_token, NOW).is_ok(),
            "the last pair still works"
        );
    }

    #[test]
    fn a_new_login_ends_the_same_users_older_sessions_when_taking_over() {
        let mut store = SessionStore::default();
        let old = store.issue("admin", true, NOW);
        let other_user = store.issue("foo", true, NOW);
        let new = store.issue("admin", true, NOW + MINUTE);
        assert_eq!(
            store.check(&old.access_token, NOW + MINUTE),
            Err(FmcError::AccessTokenInvalid)
        );
        assert_eq!(
            store.refresh(&old.access_token, &old.refresh_token, NOW + MINUTE),
            Err(FmcError::InvalidRefreshToken)
        );
        assert!(store.check(&new.access_token, NOW + MINUTE).is_ok());
        assert!(store.check(&other_user.access_token, NOW + MINUTE).is_ok());
        // Without takeover, sessions of one user live side by side.
        let side = store.issue("admin", false, NOW + MINUTE);
        assert!(store.check(&new.access_token, NOW + MINUTE).is_ok());
        assert!(store.check(&side.access_token, NOW + MINUTE).is_ok());
    }

    #[test]
    fn mismatched_or_expired_pairs_do_not_refresh() {
        let mut store = SessionStore::default();
        let a = store.issue("admin", false, NOW);
        let b = store.issue("admin", false, NOW);
        assert!(
            store
                .refresh(&a.access_token, &b.refresh_token, NOW)
                .is_err()
        );
        assert!(
            store
                .refresh(&a.access_token, &a.refresh_token, NOW + 31 * MINUTE)
                .is_err()
        );
        assert!(store.revoke(&b.access_token, NOW).is_ok());
        assert!(store.check(&b.access_token, NOW).is_err());
    }
}
