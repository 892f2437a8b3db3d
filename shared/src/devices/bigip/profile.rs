//! BIG-IP's profile: login with a provider name, extending a token's timeout, deleting it on
//! logout, and what the console shows and the relay lets through for a BIG-IP.

use serde_json::json;

use super::nodes::NODES_PATH;
use super::tokens::{self, MAX_TOKEN_TIMEOUT_SECS};
use super::transaction::TRANSACTION_PATH;
use crate::devices::call::{Call, Reply};
use crate::devices::f5::{self, AUTH_TOKEN_HEADER, LINK_HOST, LOGIN_PATH, TOKENS_PATH};
use crate::devices::profile::{
    Credentials, ExplorerHints, Page, Profile, ProtocolError, ProviderField, TokenCall,
};
use crate::kind::DeviceKind;
use crate::session::{IssuedTokens, Renewal, RenewalRules, RenewalStrategy};
use crate::wire::headers::{Direction, HeaderRule};

/// The login provider of local users.
pub const LOCAL_PROVIDER: &str = "tmos";

pub const RULES: RenewalRules = RenewalRules {
    strategies: &[RenewalStrategy::Extend],
    max_timeout_secs: MAX_TOKEN_TIMEOUT_SECS,
    max_refreshes: 0,
    refresh_token: false,
    // Tokens count toward the user's limit of 100: a replaced one is deleted.
    end_replaced_session: true,
    rejection_means_takeover: false,
    recover_by_exchange: false,
    rate_limit: None,
};

pub static PROFILE: Profile = Profile {
    kind: DeviceKind::Bigip,
    label: "F5 BIG-IP",
    rules: RULES,
    token_header: AUTH_TOKEN_HEADER,
    headers: &[
        HeaderRule {
            name: "x-f5-auth-token",
            direction: Direction::Request,
            secret: true,
        },
        // Queues a call into a transaction.
        HeaderRule {
            name: "x-f5-rest-coordination-id",
            direction: Direction::Request,
            secret: false,
        },
    ],
    token_calls: &[
        TokenCall {
            method: "POST",
            path: LOGIN_PATH,
            with_token: false,
        },
        TokenCall {
            method: "PATCH",
            path: TOKENS_PATH,
            with_token: true,
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
        hint: "tmos for local users; the name of an LDAP, RADIUS or TACACS+ provider for remote ones.",
        default: LOCAL_PROVIDER,
    },
    token_limit: Some(tokens::TOKEN_LIMIT),
    pages: &[
        Page {
            slug: "tokens",
            label: "Tokens",
        },
        Page {
            slug: "nodes",
            label: "Nodes",
        },
        Page {
            slug: "version",
            label: "Version",
        },
    ],
    explorer: ExplorerHints {
        roots: &[
            "/mgmt/tm",
            "/mgmt/tm/sys",
            NODES_PATH,
            TRANSACTION_PATH,
            TOKENS_PATH,
        ],
        chips: &[("ver", "17.1.3"), ("$select", "name,address")],
        query_example: "$select=name,address&ver=17.1.3",
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
    clock_probe: f5::own_token,
    fingerprint_hint: "On the BIG-IP (bash): openssl x509 -in /config/httpd/conf/ssl.crt/server.crt -noout -fingerprint -sha256",
};

/// `POST /mgmt/shared/authn/login` with the provider name (`tmos` for local users).
pub fn login(credentials: &Credentials) -> Call {
    let provider = match credentials.provider.trim() {
        "" => LOCAL_PROVIDER,
        name => name,
    };
    Call::new("POST", LOGIN_PATH).json(&json!({
        "username": credentials.username,
        "password": credentials.password,
        "loginProviderName": provider,
    }))
}

/// Extending: `PATCH /mgmt/shared/authz/tokens/<T>` `{"timeout": N}`.
fn renew(renewal: &Renewal) -> Option<Call> {
    match renewal {
        Renewal::Extend {
            token,
            timeout_secs,
        } => Some(
            Call::new("PATCH", f5::token_path(token))
                .header(AUTH_TOKEN_HEADER, token.clone())
                .json(&tokens::timeout_patch_body(*timeout_secs)),
        ),
        _ => None,
    }
}

fn read_renewal(_: &Renewal, reply: &Reply) -> Result<IssuedTokens, ProtocolError> {
    f5::read_token(&reply.body).map(IssuedTokens::access_only)
}

/// Logging out deletes the token on the device.
fn end_session(access: &str, _refresh: Option<&str>) -> Vec<Call> {
    vec![f5::delete_token(access, access)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_names_the_provider_and_carries_no_token() {
        let call = login(&Credentials {
            username: "foo".into(),
            password: "fooPass".into(),
            provider: String::new(),
        });
        assert_eq!(call.method, "POST");
        assert_eq!(call.path, "/mgmt/shared/authn/login");
        let body: serde_json::Value = serde_json::from_str(call.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"username": "foo", "password": "fooPass", "loginProviderName": "tmos"})
        );
        assert!(call.headers.is_empty());
    }

    #[test]
    fn extends_with_a_patch_of_the_timeout() {
        let call = renew(&Renewal::Extend {
            token: "T".into(),
            timeout_secs: 2400,
        })
        .unwrap();
        assert_eq!(
            (call.method, call.path.as_str()),
            ("PATCH", "/mgmt/shared/authz/tokens/T")
        );
        assert_eq!(call.body.as_deref(), Some(r#"{"timeout":2400}"#));
        assert!(
            renew(&Renewal::Exchange {
                refresh_token: "R".into()
            })
            .is_none()
        );
    }

    #[test]
    fn logout_deletes_the_token_with_itself() {
        let calls = end_session("T", None);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].method, "DELETE");
        assert_eq!(
            calls[0].headers,
            vec![("X-F5-Auth-Token".into(), "T".into())]
        );
    }
}
