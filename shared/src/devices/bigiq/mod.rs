//! F5 BIG-IQ (seed 002): a login returns a 5-minute access token and a 10-hour refresh token,
//! both JWTs; the access token is renewed by exchanging the refresh token, whose 10 hours never
//! reset; timeouts cannot be changed. Pages: device info and the managed BIG-IP devices.

use serde_json::json;

use super::call::{Call, Reply};
use super::f5::{self, AUTH_TOKEN_HEADER, LINK_HOST, LOGIN_PATH, TOKENS_PATH};
use super::profile::{
    Credentials, ExplorerHints, Page, Profile, ProtocolError, ProviderField, TokenCall,
};
use super::table::{Collection, Column};
use crate::kind::DeviceKind;
use crate::session::{IssuedTokens, Renewal, RenewalRules, RenewalStrategy};
use crate::wire::headers::{Direction, HeaderRule};

/// `POST` here trades the refresh token for a new access token.
pub const EXCHANGE_PATH: &str = "/mgmt/shared/authn/exchange";
/// Device info, with its `version`.
pub const DEVICE_INFO_PATH: &str = "/mgmt/shared/identified-devices/config/device-info";
/// The BIG-IP devices this BIG-IQ manages.
pub const MANAGED_DEVICES_PATH: &str =
    "/mgmt/shared/resolver/device-groups/cm-bigip-allBigIpDevices/devices";
/// The local provider, which needs no `loginReference`.
pub const LOCAL_PROVIDER: &str = "local";

pub const RULES: RenewalRules = RenewalRules {
    strategies: &[RenewalStrategy::Exchange],
    max_timeout_secs: 0,
    max_refreshes: 0,
    refresh_token: true,
    // A replaced login leaves a refresh token that would live ten hours: it is deleted.
    end_replaced_session: true,
    rejection_means_takeover: false,
    // "Invalid registered claims" (an expired access token): one exchange, one replay.
    recover_by_exchange: true,
    rate_limit: None,
};

pub static PROFILE: Profile = Profile {
    kind: DeviceKind::Bigiq,
    label: "F5 BIG-IQ",
    rules: RULES,
    token_header: AUTH_TOKEN_HEADER,
    headers: &[HeaderRule {
        name: "x-f5-auth-token",
        direction: Direction::Request,
        secret: true,
    }],
    token_calls: &[
        TokenCall {
            method: "POST",
            path: LOGIN_PATH,
            with_token: false,
        },
        TokenCall {
            method: "POST",
            path: EXCHANGE_PATH,
            with_token: false,
        },
        TokenCall {
            method: "DELETE",
            path: TOKENS_PATH,
            with_token: true,
        },
    ],
    secret_query_params: &[],
    max_body_bytes: None,
    provider: ProviderField {
        label: Some("Login provider"),
        hint: "Empty or local for local users. For another provider, its name or the link BIG-IQ shows for it (…/mgmt/cm/system/authn/providers/…/login); remembered for this device.",
        default: LOCAL_PROVIDER,
    },
    token_limit: None,
    pages: &[
        Page {
            slug: "info",
            label: "Device info",
        },
        Page {
            slug: "devices",
            label: "Managed devices",
        },
    ],
    explorer: ExplorerHints {
        roots: &[
            DEVICE_INFO_PATH,
            "/mgmt/shared/diagnostics/device-stats",
            MANAGED_DEVICES_PATH,
            "/mgmt/shared/resolver/device-groups",
            "/mgmt/cm/system/authn/providers",
        ],
        chips: &[],
        query_example: "$select=hostname,address",
    },
    scope: None,
    paging: None,
    link_host: Some(LINK_HOST),
    errors: f5::ERRORS,
    login,
    read_login: f5::read_login,
    renew,
    read_renewal,
    end_session,
    clock_probe,
    fingerprint_hint: "On the BIG-IQ (bash): openssl x509 -in /config/httpd/conf/ssl.crt/server.crt -noout -fingerprint -sha256",
};

/// The `loginReference` link for what the user typed: nothing for the local provider, a pasted
/// link as it is, a provider name as its login link.
pub fn provider_link(provider: &str) -> Option<String> {
    let provider = provider.trim();
    if provider.is_empty() || provider.eq_ignore_ascii_case(LOCAL_PROVIDER) {
        return None;
    }
    if provider.starts_with("https://") {
        return Some(provider.to_owned());
    }
    if provider.starts_with("/mgmt/") {
        return Some(format!("{LINK_HOST}{provider}"));
    }
    Some(format!(
        "{LINK_HOST}/mgmt/cm/system/authn/providers/{provider}/login"
    ))
}

/// `POST /mgmt/shared/authn/login` with `username` and `password`, and `loginReference` only
/// for another provider (never BIG-IP's `loginProviderName`).
pub fn login(credentials: &Credentials) -> Call {
    let mut body = json!({
        "username": credentials.username,
        "password": credentials.password,
    });
    if let Some(link) = provider_link(&credentials.provider) {
        body["loginReference"] = json!({ "link": link });
    }
    Call::new("POST", LOGIN_PATH).json(&body)
}

/// The exchange: `POST /mgmt/shared/authn/exchange` `{"refreshToken":{"token":…}}`, with no
/// access token (it may have expired).
fn renew(renewal: &Renewal) -> Option<Call> {
    match renewal {
        Renewal::Exchange { refresh_token } => Some(
            Call::new("POST", EXCHANGE_PATH)
                .json(&json!({ "refreshToken": { "token": refresh_token } })),
        ),
        _ => None,
    }
}

fn read_renewal(_: &Renewal, reply: &Reply) -> Result<IssuedTokens, ProtocolError> {
    f5::read_login(reply).map(|outcome| outcome.tokens)
}

/// Logging out deletes both tokens on the device (their `selfLink`s are token resources).
fn end_session(access: &str, refresh: Option<&str>) -> Vec<Call> {
    std::iter::once(access)
        .chain(refresh)
        .map(|token| f5::delete_token(token, access))
        .collect()
}

fn clock_probe(token: &str) -> Call {
    Call::get(DEVICE_INFO_PATH).header(AUTH_TOKEN_HEADER, token)
}

/// The Device info page.
pub const DEVICE_INFO: &[Column] = &[
    Column {
        label: "Product",
        pointer: "/product",
    },
    Column {
        label: "Version",
        pointer: "/version",
    },
    Column {
        label: "Build",
        pointer: "/build",
    },
    Column {
        label: "Edition",
        pointer: "/edition",
    },
    Column {
        label: "Host name",
        pointer: "/hostname",
    },
    Column {
        label: "Platform",
        pointer: "/platformMarketingName",
    },
    Column {
        label: "Management address",
        pointer: "/managementAddress",
    },
    Column {
        label: "Clustered",
        pointer: "/isClustered",
    },
];

/// The Managed devices page.
pub const MANAGED_DEVICES: Collection = Collection {
    items: "/items",
    columns: &[
        Column {
            label: "Host name",
            pointer: "/hostname",
        },
        Column {
            label: "Address",
            pointer: "/address",
        },
        Column {
            label: "Product",
            pointer: "/product",
        },
        Column {
            label: "Version",
            pointer: "/version",
        },
        Column {
            label: "State",
            pointer: "/state",
        },
    ],
    self_link: Some("/selfLink"),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::table::{read_facts, read_rows};

    fn creds(provider: &str) -> Credentials {
        Credentials {
            username: "admin".into(),
            password: "admin".into(),
            provider: provider.into(),
        }
    }

    fn body(call: &Call) -> serde_json::Value {
        serde_json::from_str(call.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn local_logins_omit_the_reference_and_never_name_a_bigip_provider() {
        for local in ["", "local", " LOCAL "] {
            let b = body(&login(&creds(local)));
            assert_eq!(b, json!({"username": "admin", "password": "admin"}));
        }
    }

    #[test]
    fn other_providers_travel_as_a_login_reference_link() {
        let want = "https://localhost/mgmt/cm/system/authn/providers/ldap1/login";
        assert_eq!(
            body(&login(&creds("ldap1")))["loginReference"]["link"],
            want
        );
        assert_eq!(body(&login(&creds(want)))["loginReference"]["link"], want);
        assert_eq!(
            body(&login(&creds(
                "/mgmt/cm/system/authn/providers/ldap1/login"
            )))["loginReference"]["link"],
            want
        );
    }

    #[test]
    fn the_seed_login_gives_both_tokens() {
        let reply = Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({
                "username": "admin",
                "token": {"token": "eyJA", "timeout": 300, "type": "ACCESS",
                          "exp": 1476680018, "iat": 1476679718, "lastUpdateMicros": 1476679719091834_i64},
                "refreshToken": {"token": "eyJR", "timeout": 36000, "type": "REFRESH",
                                 "exp": 1476715719, "iat": 1476679719},
            })
            .to_string(),
        };
        let outcome = (PROFILE.read_login)(&reply).unwrap();
        assert_eq!(
            outcome.tokens.access.expires_at_micros,
            Some(1476680018 * 1_000_000)
        );
        let refresh = outcome.tokens.refresh.unwrap();
        assert_eq!(refresh.lifetime_secs, 36000);
        assert_eq!(refresh.expires_at_micros, Some(1476715719 * 1_000_000));
    }

    #[test]
    fn exchange_sends_the_refresh_token_and_no_access_token() {
        let call = renew(&Renewal::Exchange {
            refresh_token: "eyJR".into(),
        })
        .unwrap();
        assert_eq!(call.path, EXCHANGE_PATH);
        assert_eq!(body(&call), json!({"refreshToken": {"token": "eyJR"}}));
        assert!(call.headers.is_empty());
    }

    #[test]
    fn logout_deletes_both_tokens() {
        let calls = end_session("A", Some("R"));
        let paths: Vec<&str> = calls.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/mgmt/shared/authz/tokens/A", "/mgmt/shared/authz/tokens/R"]
        );
    }

    #[test]
    fn pages_read_the_simulated_shapes() {
        let info =
            r#"{"product":"BIG-IQ","version":"8.3.0","hostname":"bigiq1","isClustered":false}"#;
        let facts = read_facts(DEVICE_INFO, info).unwrap();
        assert_eq!(facts[1], ("Version", "8.3.0".to_string()));
        assert_eq!(facts.last().unwrap(), &("Clustered", "no".to_string()));
        let devices = r#"{"items":[{"hostname":"bigip-a","address":"10.1.1.10","product":"BIG-IP","version":"17.1.3","state":"ACTIVE","selfLink":"https://localhost/x"}]}"#;
        let rows = read_rows(&MANAGED_DEVICES, devices, None).unwrap();
        assert_eq!(rows.cells[0][0], "bigip-a");
    }
}
