//! Cisco Firepower Management Center (seed 004): `generatetoken` with HTTP Basic answers 204
//! with the token pair and the user's domains in headers; calls carry `X-auth-access-token`;
//! `refreshtoken` trades the pair for a new one at most three times per login; `revokeaccess`
//! logs out. A new login by the same user ends that user's older sessions. The device allows
//! 120 requests a minute and 10 connections. Config paths live under a domain.

pub mod domains;

use serde_json::Value;

use super::call::{Call, Reply};
use super::profile::{
    Credentials, ErrorReading, ExplorerHints, LoginOutcome, Page, Paging, Profile, ProtocolError,
    ProviderField, TokenCall,
};
use super::scope::ScopeRule;
use super::table::{Collection, Column};
use crate::kind::DeviceKind;
use crate::session::{
    IssuedToken, IssuedTokens, RateLimit, Renewal, RenewalRules, RenewalStrategy,
};
use crate::wire::headers::{Direction, HeaderRule};

pub const GENERATE_PATH: &str = "/api/fmc_platform/v1/auth/generatetoken";
pub const REFRESH_PATH: &str = "/api/fmc_platform/v1/auth/refreshtoken";
pub const REVOKE_PATH: &str = "/api/fmc_platform/v1/auth/revokeaccess";
pub const SERVER_VERSION_PATH: &str = "/api/fmc_platform/v1/info/serverversion";
pub const DOMAINS_PATH: &str = "/api/fmc_platform/v1/info/domain";
pub const ACCESS_HEADER: &str = "X-auth-access-token";
pub const REFRESH_HEADER: &str = "X-auth-refresh-token";
/// Both tokens of a pair last 30 minutes.
pub const TOKEN_LIFETIME_SECS: u64 = 1800;
/// The largest request body an FMC accepts (larger: 422).
pub const MAX_BODY_BYTES: u64 = 2_048_000;
/// Refreshes one login allows; then a full login is needed.
pub const MAX_REFRESHES: u8 = 3;
/// The device's limits (FMC before 7.6; 7.6 allows 300 a minute).
pub const RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 120,
    concurrent: 10,
};

pub const RULES: RenewalRules = RenewalRules {
    strategies: &[RenewalStrategy::Refresh],
    max_timeout_secs: 0,
    max_refreshes: MAX_REFRESHES,
    refresh_token: true,
    // A new login ends the user's older sessions by itself.
    end_replaced_session: false,
    rejection_means_takeover: true,
    recover_by_exchange: false,
    rate_limit: Some(RATE_LIMIT),
};

pub static PROFILE: Profile = Profile {
    kind: DeviceKind::Fmc,
    label: "Cisco FMC",
    rules: RULES,
    token_header: ACCESS_HEADER,
    headers: &[
        // The token pair travels both ways: a login or refresh answers with it (204).
        HeaderRule {
            name: "x-auth-access-token",
            direction: Direction::Both,
            secret: true,
        },
        HeaderRule {
            name: "x-auth-refresh-token",
            direction: Direction::Both,
            secret: true,
        },
        // What a login announces about the user and the domains.
        HeaderRule {
            name: "domain_uuid",
            direction: Direction::Reply,
            secret: false,
        },
        HeaderRule {
            name: "domains",
            direction: Direction::Reply,
            secret: false,
        },
        HeaderRule {
            name: "global",
            direction: Direction::Reply,
            secret: false,
        },
        HeaderRule {
            name: "user_uuid",
            direction: Direction::Reply,
            secret: false,
        },
        HeaderRule {
            name: "domain_id",
            direction: Direction::Reply,
            secret: false,
        },
    ],
    token_calls: &[
        TokenCall {
            method: "POST",
            path: GENERATE_PATH,
            with_token: false,
        },
        TokenCall {
            method: "POST",
            path: REFRESH_PATH,
            with_token: false,
        },
        TokenCall {
            method: "POST",
            path: REVOKE_PATH,
            with_token: false,
        },
    ],
    secret_query_params: &[],
    max_body_bytes: Some(MAX_BODY_BYTES),
    provider: ProviderField {
        label: None,
        hint: "",
        default: "",
    },
    token_limit: None,
    pages: &[
        Page {
            slug: "version",
            label: "Version",
        },
        Page {
            slug: "domains",
            label: "Domains",
        },
        Page {
            slug: "devices",
            label: "Devices",
        },
        Page {
            slug: "hosts",
            label: "Host objects",
        },
    ],
    explorer: ExplorerHints {
        roots: &[
            SERVER_VERSION_PATH,
            DOMAINS_PATH,
            "/api/fmc_config/v1/domain/{domain}/devices/devicerecords",
            "/api/fmc_config/v1/domain/{domain}/object/hosts",
            "/api/fmc_config/v1/domain/{domain}/deployment/deployabledevices",
        ],
        chips: &[],
        query_example: "offset=0&limit=25&expanded=true",
    },
    scope: Some(DOMAIN),
    paging: Some(PAGING),
    link_host: None,
    errors: ERRORS,
    login,
    read_login,
    renew,
    read_renewal,
    end_session,
    clock_probe,
    fingerprint_hint: "In the FMC web interface: System > Configuration > HTTPS Certificate shows the certificate; or from a trusted machine with openssl (below).",
};

/// Config calls live in a domain: `/api/fmc_config/v1/domain/<uuid>/…`.
pub const DOMAIN: ScopeRule = ScopeRule {
    label: "Domain",
    placeholder: "{domain}",
    prefix: "/api/fmc_config/v1/domain/",
};

/// FMC paging: `offset`, `limit` (at most 1000), whole objects with `expanded=true`, and the
/// count in `paging.count`.
pub const PAGING: Paging = Paging {
    offset: "offset",
    limit: "limit",
    extra: "expanded=true",
    max_page: 1000,
    total: "/paging/count",
};

/// How FMC errors read: `{"error":{"category":"FRAMEWORK","messages":[{"description":"…"}],
/// "severity":"ERROR"}}`.
pub const ERRORS: ErrorReading = ErrorReading {
    message: error_message,
    advice,
};

fn error_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let messages = value.get("error")?.get("messages")?.as_array()?;
    let descriptions: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.get("description").and_then(Value::as_str))
        .collect();
    (!descriptions.is_empty()).then(|| descriptions.join(" "))
}

fn advice(status: u16, message: &str) -> Option<&'static str> {
    let m = message.to_ascii_lowercase();
    Some(match status {
        401 if m.contains("user authentication failed") => {
            "Check the username and password, then log in again."
        }
        401 if m.contains("invalid refresh token") => {
            "The refresh token is no longer valid (used up, expired, or ended by another login). Log in again."
        }
        401 if m.contains("access token invalid") => {
            "The device no longer knows this token (it was revoked, ended by another login, or the device restarted). Log in again."
        }
        422 if m.contains("payload") || m.contains("size") => {
            "The request is larger than the FMC accepts (2,048,000 bytes). Send less at once."
        }
        _ => return None,
    })
}

/// `POST …/generatetoken` with HTTP Basic and an empty body.
pub fn login(credentials: &Credentials) -> Call {
    Call::new("POST", GENERATE_PATH).basic_auth(&credentials.username, &credentials.password)
}

/// The token pair in a 204's headers; a reply without both is an error that says so.
fn read_pair(what: &'static str, reply: &Reply) -> Result<IssuedTokens, ProtocolError> {
    let token = |name: &str| {
        reply
            .header(name)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| IssuedToken::new(t, TOKEN_LIFETIME_SECS))
    };
    match (token(ACCESS_HEADER), token(REFRESH_HEADER)) {
        (Some(access), Some(refresh)) => Ok(IssuedTokens {
            access,
            refresh: Some(refresh),
        }),
        (access, _) => Err(ProtocolError::Missing {
            what,
            missing: match access {
                Some(_) => REFRESH_HEADER.into(),
                None => format!("{ACCESS_HEADER} and {REFRESH_HEADER}"),
            },
        }),
    }
}

fn read_login(reply: &Reply) -> Result<LoginOutcome, ProtocolError> {
    Ok(LoginOutcome {
        tokens: read_pair("login (204)", reply)?,
        scopes: domains::from_headers(reply),
    })
}

/// `POST …/refreshtoken` with both tokens of the pair.
fn renew(renewal: &Renewal) -> Option<Call> {
    match renewal {
        Renewal::Refresh {
            access_token,
            refresh_token,
        } => Some(
            Call::new("POST", REFRESH_PATH)
                .header(ACCESS_HEADER, access_token.clone())
                .header(REFRESH_HEADER, refresh_token.clone()),
        ),
        _ => None,
    }
}

fn read_renewal(_: &Renewal, reply: &Reply) -> Result<IssuedTokens, ProtocolError> {
    read_pair("refresh (204)", reply)
}

/// Logging out: `POST …/revokeaccess` with the access token.
fn end_session(access: &str, _refresh: Option<&str>) -> Vec<Call> {
    vec![Call::new("POST", REVOKE_PATH).header(ACCESS_HEADER, access)]
}

fn clock_probe(token: &str) -> Call {
    Call::get(SERVER_VERSION_PATH).header(ACCESS_HEADER, token)
}

/// The Version page: the first item of `serverversion`.
pub const SERVER_VERSION: &[Column] = &[
    Column {
        label: "Server version",
        pointer: "/items/0/serverVersion",
    },
    Column {
        label: "VDB",
        pointer: "/items/0/vdbVersion",
    },
    Column {
        label: "SRU",
        pointer: "/items/0/sruVersion",
    },
    Column {
        label: "Geolocation",
        pointer: "/items/0/geoVersion",
    },
    Column {
        label: "LSP",
        pointer: "/items/0/lspVersion",
    },
];

/// The Domains page.
pub const DOMAIN_LIST: Collection = Collection {
    items: "/items",
    columns: &[
        Column {
            label: "Name",
            pointer: "/name",
        },
        Column {
            label: "UUID",
            pointer: "/uuid",
        },
    ],
    self_link: None,
};

/// The Devices page (`…/devices/devicerecords?expanded=true`).
pub const DEVICE_RECORDS: Collection = Collection {
    items: "/items",
    columns: &[
        Column {
            label: "Name",
            pointer: "/name",
        },
        Column {
            label: "Host",
            pointer: "/hostName",
        },
        Column {
            label: "Model",
            pointer: "/model",
        },
        Column {
            label: "Version",
            pointer: "/sw_version",
        },
        Column {
            label: "Health",
            pointer: "/healthStatus",
        },
    ],
    self_link: Some("/links/self"),
};

/// The Host objects page (`…/object/hosts?expanded=true`).
pub const HOSTS: Collection = Collection {
    items: "/items",
    columns: &[
        Column {
            label: "Name",
            pointer: "/name",
        },
        Column {
            label: "Value",
            pointer: "/value",
        },
        Column {
            label: "Description",
            pointer: "/description",
        },
        Column {
            label: "Domain",
            pointer: "/metadata/domain/name",
        },
    ],
    self_link: Some("/links/self"),
};

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(headers: &[(&str, &str)]) -> Reply {
        Reply {
            status: 204,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: String::new(),
        }
    }

    #[test]
    fn reads_fmc_errors_and_advises() {
        let body = r#"{"error":{"category":"FRAMEWORK","messages":[{"description":"Access token invalid."}],"severity":"ERROR"}}"#;
        assert_eq!(
            error_message(body).as_deref(),
            Some("Access token invalid.")
        );
        assert_eq!(error_message(r#"{"code":401,"message":"x"}"#), None);
        for (status, message, want) in [
            (401, "User authentication failed", "password"),
            (401, "Invalid refresh token", "refresh token"),
            (401, "Access token invalid.", "no longer knows"),
            (422, "Payload too large", "2,048,000"),
        ] {
            let tip = advice(status, message).unwrap_or_default();
            assert!(tip.contains(want), "{status} {message:?} gave {tip:?}");
        }
    }

    #[test]
    fn login_is_basic_auth_with_no_body_and_no_token() {
        let call = login(&Credentials {
            username: "admin".into(),
            password: "secret".into(),
            provider: String::new(),
        });
        assert_eq!((call.method, call.path.as_str()), ("POST", GENERATE_PATH));
        assert_eq!(
            call.headers,
            vec![("Authorization".into(), "Basic YWRtaW46c2VjcmV0".into())]
        );
        assert_eq!(call.body, None);
    }

    #[test]
    fn a_204_with_both_tokens_and_domains_signs_in() {
        let outcome = read_login(&reply(&[
            ("X-auth-access-token", "a-1"),
            ("X-auth-refresh-token", "r-1"),
            ("DOMAIN_UUID", "e276abec-e0f2-11e3-8169-6d9ed49b625f"),
            (
                "DOMAINS",
                r#"[{"name":"Global","uuid":"e276abec-e0f2-11e3-8169-6d9ed49b625f"},{"name":"Global/Sub","uuid":"6f3c"}]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(outcome.tokens.access.token, "a-1");
        assert_eq!(outcome.tokens.access.lifetime_secs, 1800);
        assert_eq!(outcome.tokens.refresh.unwrap().token, "r-1");
        assert_eq!(outcome.scopes.len(), 2);
        assert_eq!(outcome.scopes[0].name, "Global");
    }

    #[test]
    fn a_204_without_both_tokens_says_which_is_missing() {
        let err = read_login(&reply(&[("X-auth-access-token", "a-1")])).unwrap_err();
        assert!(err.to_string().contains("X-auth-refresh-token"), "{err}");
        let err = read_login(&reply(&[])).unwrap_err();
        assert!(err.to_string().contains("X-auth-access-token and"), "{err}");
    }

    #[test]
    fn refresh_sends_both_tokens_and_logout_revokes() {
        let call = renew(&Renewal::Refresh {
            access_token: "a".into(),
            refresh_token: "r".into(),
        })
        .unwrap();
        assert_eq!(call.path, REFRESH_PATH);
        assert_eq!(
            call.headers,
            vec![
                ("X-auth-access-token".into(), "a".into()),
                ("X-auth-refresh-token".into(), "r".into())
            ]
        );
        let revoke = &end_session("a", Some("r"))[0];
        assert_eq!((revoke.method, revoke.path.as_str()), ("POST", REVOKE_PATH));
    }
}
