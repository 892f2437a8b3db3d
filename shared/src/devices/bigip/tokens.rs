//! The Tokens page: reading `GET /mgmt/shared/authz/tokens`, owners, timeout changes,
//! "delete my other tokens" and the per-user limit of 100.

use serde::Deserialize;

use super::user_uuid::f5_name_uuid;
use crate::devices::f5::Link;
use crate::session::{TokenLease, TokenQuota};

/// Longest `timeout` a BIG-IP accepts on `PATCH /mgmt/shared/authz/tokens/<T>` (10 hours).
pub const MAX_TOKEN_TIMEOUT_SECS: u64 = 36_000;
/// Active tokens a user may hold; the 101st login fails with 400.
pub const TOKEN_LIMIT: u32 = 100;
/// The one user the limit does not apply to.
pub const LIMIT_EXEMPT_USER: &str = "admin";
/// What an administrator types to confirm deleting every token on the device.
pub const DELETE_ALL_PHRASE: &str = "delete all tokens";

/// Who owns a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// From `userName`, or from the user link resolved to a known name.
    Named(String),
    /// The user link names a UUID that matches no known user.
    Unresolved { uuid: String },
    /// Neither `userName` nor a user link.
    Unknown,
}

impl Owner {
    /// The user name, when known.
    pub fn name(&self) -> Option<&str> {
        match self {
            Owner::Named(name) => Some(name),
            _ => None,
        }
    }

    /// For the Owner column.
    pub fn label(&self) -> String {
        match self {
            Owner::Named(name) => name.clone(),
            Owner::Unresolved { uuid } => format!("unknown user ({uuid})"),
            Owner::Unknown => "unknown".into(),
        }
    }
}

/// One row of the Tokens page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token: String,
    pub owner: Owner,
    /// Client address the token was issued to (may be empty).
    pub address: String,
    /// `startTime` as the device wrote it.
    pub start_time: Option<String>,
    pub timeout_secs: u64,
    /// Expiry on the device's clock.
    pub expires_at_micros: Option<i64>,
    /// This is the token the session uses.
    pub is_current: bool,
}

impl TokenRow {
    /// The row as a lease; `device_now` is the device's clock (a row without an expiry is
    /// taken to last its timeout from now).
    pub fn lease(&self, device_now: i64) -> TokenLease {
        TokenLease::new(
            self.token.clone(),
            self.timeout_secs,
            self.expires_at_micros,
            device_now,
        )
    }
}

/// Why a token list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenListError {
    #[error("the token list is not JSON ({0}); is this really /mgmt/shared/authz/tokens?")]
    NotJson(String),
}

#[derive(Deserialize)]
struct Collection {
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    user: Option<Link>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    expiration_micros: Option<i64>,
}

/// Read the token collection (an empty one may omit `items`). Owners come from `userName`,
/// or from the last segment of `user.link`: a plain name, or a UUID matched against
/// `known_users` with [`f5_name_uuid`]. Rows keep the device's order.
pub fn parse_token_list(
    body: &str,
    known_users: &[&str],
    current_token: Option<&str>,
) -> Result<Vec<TokenRow>, TokenListError> {
    let collection: Collection =
        serde_json::from_str(body).map_err(|e| TokenListError::NotJson(e.to_string()))?;
    Ok(collection
        .items
        .into_iter()
        .filter_map(|item| {
            let token = item.token.or(item.name).filter(|t| !t.is_empty())?;
            let owner = owner_of(item.user_name.as_deref(), item.user.as_ref(), known_users);
            Some(TokenRow {
                is_current: current_token == Some(token.as_str()),
                token,
                owner,
                address: item.address.unwrap_or_default(),
                start_time: item.start_time,
                timeout_secs: item.timeout.unwrap_or(0),
                expires_at_micros: item.expiration_micros,
            })
        })
        .collect())
}

fn owner_of(user_name: Option<&str>, user: Option<&Link>, known_users: &[&str]) -> Owner {
    if let Some(name) = user_name.filter(|n| !n.is_empty()) {
        return Owner::Named(name.to_string());
    }
    let Some(last) = user
        .and_then(|u| u.link.split('?').next())
        .and_then(|path| path.trim_end_matches('/').rsplit('/').next())
        .filter(|s| !s.is_empty())
    else {
        return Owner::Unknown;
    };
    if !looks_like_uuid(last) {
        // `…/mgmt/shared/authz/users/admin`: the link names the user.
        return Owner::Named(last.to_string());
    }
    known_users
        .iter()
        .find(|name| f5_name_uuid(name).eq_ignore_ascii_case(last))
        .map(|name| Owner::Named(name.to_string()))
        .unwrap_or_else(|| Owner::Unresolved {
            uuid: last.to_string(),
        })
}

fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Why a timeout cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutError {
    #[error("Enter the timeout as a whole number of seconds.")]
    NotANumber,
    #[error("The timeout must be at least 1 second.")]
    TooShort,
    #[error(
        "The timeout can be at most 36000 seconds (10 hours); the device refuses more with 406 \"Auth-token absolute timeout (36000 seconds) exceeded\"."
    )]
    TooLong,
}

/// Check a timeout typed on the Tokens page: 1..=36000 seconds.
pub fn validate_timeout(input: &str) -> Result<u64, TimeoutError> {
    let secs: u64 = input.trim().parse().map_err(|_| {
        if input.trim().starts_with('-') {
            TimeoutError::TooShort
        } else {
            TimeoutError::NotANumber
        }
    })?;
    match secs {
        0 => Err(TimeoutError::TooShort),
        s if s > MAX_TOKEN_TIMEOUT_SECS => Err(TimeoutError::TooLong),
        s => Ok(s),
    }
}

/// A token's `startTime` as the Tokens page shows it: `2026-11-22T15:40:41.376+0000` →
/// `11-22 15:40:41` (the full value goes in the tooltip).
pub fn short_start_time(start: &str) -> String {
    let without_zone = start.split('.').next().unwrap_or(start);
    let date_time = without_zone.replacen('T', " ", 1);
    date_time.get(5..).unwrap_or(&date_time).to_owned()
}

/// Body of `PATCH /mgmt/shared/authz/tokens/<T>`.
pub fn timeout_patch_body(timeout_secs: u64) -> serde_json::Value {
    serde_json::json!({ "timeout": timeout_secs })
}

/// "Delete my other tokens": every token of `user` except the session's own.
pub fn other_tokens_of<'a>(rows: &'a [TokenRow], user: &str, current_token: &str) -> Vec<&'a str> {
    rows.iter()
        .filter(|r| r.owner.name() == Some(user) && r.token != current_token)
        .map(|r| r.token.as_str())
        .collect()
}

/// Count `user`'s tokens still alive at `device_now_micros` (the device's clock; rows without
/// an expiry count as alive).
pub fn token_quota(rows: &[TokenRow], user: &str, device_now_micros: i64) -> TokenQuota {
    let active = rows
        .iter()
        .filter(|r| r.owner.name() == Some(user))
        .filter(|r| r.expires_at_micros.is_none_or(|e| e > device_now_micros))
        .count() as u32;
    TokenQuota {
        active,
        limit: TOKEN_LIMIT,
        exempt: (user == LIMIT_EXEMPT_USER).then(|| user.to_owned()),
    }
}

/// Whether `user` may delete every token on the device: the `admin` user, or anyone the device
/// lets see other users' tokens (an administrator role).
pub fn may_delete_all(user: &str, rows: &[TokenRow]) -> bool {
    user == LIMIT_EXEMPT_USER || rows.iter().any(|r| r.owner.name() != Some(user))
}

/// Whether the typed text confirms "delete all tokens" (case and surrounding spaces ignored).
pub fn confirms_delete_all(typed: &str) -> bool {
    typed.trim().eq_ignore_ascii_case(DELETE_ALL_PHRASE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOO_LINK: &str = "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8";

    fn body() -> String {
        serde_json::json!({
            "kind": "shared:authz:tokens:authtokencollectionstate",
            "items": [
                {"token": "AAAA", "userName": "foo", "timeout": 1200, "expirationMicros": 2_000, "address": "10.0.0.9", "startTime": "2020-04-30T10:18:49.471+1200"},
                {"token": "BBBB", "user": {"link": FOO_LINK}, "timeout": 1200, "expirationMicros": 500},
                {"name": "CCCC", "user": {"link": "https://localhost/mgmt/shared/authz/users/admin"}, "timeout": 36000},
                {"token": "DDDD", "user": {"link": "https://localhost/mgmt/cm/system/authn/providers/tmos/x/users/00000000-0000-3000-8000-000000000000"}, "timeout": 60},
                {"token": "EEEE", "timeout": 60},
                {"timeout": 60}
            ]
        })
        .to_string()
    }

    fn rows() -> Vec<TokenRow> {
        parse_token_list(&body(), &["bar", "foo"], Some("AAAA")).unwrap()
    }

    #[test]
    fn resolves_owners() {
        let owners: Vec<(String, Owner)> = rows().into_iter().map(|r| (r.token, r.owner)).collect();
        let want = [
            ("AAAA", Owner::Named("foo".into())),
            ("BBBB", Owner::Named("foo".into())),
            ("CCCC", Owner::Named("admin".into())),
            (
                "DDDD",
                Owner::Unresolved {
                    uuid: "00000000-0000-3000-8000-000000000000".into(),
                },
            ),
            ("EEEE", Owner::Unknown),
        ];
        assert_eq!(
            owners.len(),
            want.len(),
            "the item without a token is skipped"
        );
        for ((token, owner), (want_token, want_owner)) in owners.iter().zip(want) {
            assert_eq!((token.as_str(), owner), (want_token, &want_owner));
        }
        let first = &rows()[0];
        assert!(first.is_current);
        assert_eq!(first.address, "10.0.0.9");
        assert_eq!(Owner::Unknown.label(), "unknown");
    }

    #[test]
    fn empty_collections_omit_items() {
        let body = r#"{"kind":"shared:authz:tokens:authtokencollectionstate"}"#;
        assert_eq!(parse_token_list(body, &[], None).unwrap(), vec![]);
        assert!(matches!(
            parse_token_list("<html>", &[], None),
            Err(TokenListError::NotJson(_))
        ));
    }

    #[test]
    fn validates_timeouts() {
        let cases = [
            ("1200", Ok(1200)),
            (" 36000 ", Ok(36_000)),
            ("1", Ok(1)),
            ("0", Err(TimeoutError::TooShort)),
            ("-5", Err(TimeoutError::TooShort)),
            ("36001", Err(TimeoutError::TooLong)),
            ("20m", Err(TimeoutError::NotANumber)),
            ("", Err(TimeoutError::NotANumber)),
        ];
        for (input, want) in cases {
            assert_eq!(validate_timeout(input), want, "{input:?}");
        }
        assert!(
            TimeoutError::TooLong
                .to_string()
                .contains("Auth-token absolute timeout (36000 seconds) exceeded")
        );
        assert_eq!(
            timeout_patch_body(4200),
            serde_json::json!({"timeout": 4200})
        );
    }

    #[test]
    fn start_times_are_shortened_to_date_and_time() {
        assert_eq!(
            short_start_time("2026-11-22T15:40:41.376+0000"),
            "11-22 15:40:41"
        );
        assert_eq!(
            short_start_time("2020-04-30T10:18:49.471+1200"),
            "04-30 10:18:49"
        );
        assert_eq!(short_start_time("soon"), "soon");
    }

    #[test]
    fn selects_my_other_tokens() {
        assert_eq!(other_tokens_of(&rows(), "foo", "AAAA"), vec!["BBBB"]);
        assert_eq!(other_tokens_of(&rows(), "bar", "AAAA"), Vec::<&str>::new());
    }

    #[test]
    fn counts_active_tokens_against_the_limit() {
        let cases = [
            (
                "foo",
                1_000,
                TokenQuota {
                    active: 1,
                    limit: 100,
                    exempt: None,
                },
                "1 of 100 tokens",
            ),
            (
                "foo",
                0,
                TokenQuota {
                    active: 2,
                    limit: 100,
                    exempt: None,
                },
                "2 of 100 tokens",
            ),
            (
                "admin",
                0,
                TokenQuota {
                    active: 1,
                    limit: 100,
                    exempt: Some("admin".into()),
                },
                "1 token (admin is exempt from the limit of 100)",
            ),
        ];
        for (user, now, want, label) in cases {
            let quota = token_quota(&rows(), user, now);
            assert_eq!(quota, want, "{user} at {now}");
            assert_eq!(quota.label(), label);
        }
    }

    #[test]
    fn rows_count_down_on_the_devices_clock() {
        assert_eq!(rows()[1].lease(0).expires_at_micros, 500);
    }

    #[test]
    fn only_administrators_see_delete_all() {
        assert!(may_delete_all("admin", &[]));
        assert!(!may_delete_all("foo", &rows()[..0]));
        let mine = vec![TokenRow {
            owner: Owner::Named("foo".into()),
            ..rows()[0].clone()
        }];
        assert!(!may_delete_all("foo", &mine));
        assert!(may_delete_all("foo", &rows()), "sees other users' tokens");
    }

    #[test]
    fn delete_all_needs_the_phrase() {
        assert!(confirms_delete_all("  Delete all tokens "));
        assert!(!confirms_delete_all("delete"));
    }
}
