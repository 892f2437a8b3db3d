//! What a kind of device is, as data: its [`Profile`]. Neutral code — the session machine, the
//! relay's header allowlist and budgets, the console's pages, "copy as curl" — asks the profile
//! and never names a vendor. Each kind's profile lives in its own folder (`devices/<kind>/`).

use super::call::{Call, Reply};
use super::scope::{Scope, ScopeRule};
use crate::kind::DeviceKind;
use crate::session::{IssuedTokens, Renewal, RenewalRules};
use crate::wire::budget::Priority;
use crate::wire::headers::HeaderRule;

/// What the login form collected. Lives in the console's memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// The login provider as the kind understands it (a provider name or link; unused by kinds
    /// without a provider field).
    pub provider: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("provider", &self.provider)
            .finish()
    }
}

/// What a successful login tells the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub tokens: IssuedTokens,
    /// The scopes the user may work in, the user's own first (kinds with a [`ScopeRule`]).
    pub scopes: Vec<Scope>,
}

/// Why a device's reply could not be read. Messages are worded for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("The device's {what} is not what this kind of device sends ({detail}).")]
    NotJson { what: &'static str, detail: String },
    #[error(
        "The device answered the {what} without {missing}; is this really the kind of device the relay says?"
    )]
    Missing { what: &'static str, missing: String },
    #[error("This kind of device cannot {0}.")]
    Unsupported(&'static str),
}

impl ProtocolError {
    pub fn not_json(what: &'static str, err: &serde_json::Error) -> Self {
        ProtocolError::NotJson {
            what,
            detail: err.to_string(),
        }
    }
}

/// How the login form asks for the login provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderField {
    /// `None`: the kind has no provider field.
    pub label: Option<&'static str>,
    pub hint: &'static str,
    pub default: &'static str,
}

/// A page only this kind has, addressed as `/devices/<id>/<slug>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub slug: &'static str,
    pub label: &'static str,
}

/// The method and path of one of the kind's token calls (login, renewal, end of session), as the
/// relay sees a call: the path without its query, still percent-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenCall {
    pub method: &'static str,
    pub path: &'static str,
    /// One more segment follows: a token's id (`…/tokens/<T>`).
    pub with_token: bool,
}

impl TokenCall {
    fn matches(&self, method: &str, path: &str) -> bool {
        if !method.eq_ignore_ascii_case(self.method) {
            return false;
        }
        let path = path.trim_end_matches('/');
        if !self.with_token {
            return path == self.path;
        }
        path.strip_prefix(self.path)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|token| !token.is_empty() && !token.contains('/'))
    }
}

/// What the Explorer offers on this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExplorerHints {
    /// Where the Explorer starts; a [`ScopeRule::placeholder`] stands for the chosen scope.
    pub roots: &'static [&'static str],
    /// Query parameters offered as one-click chips (name, value).
    pub chips: &'static [(&'static str, &'static str)],
    /// An example query, for the query field's placeholder.
    pub query_example: &'static str,
}

/// How the kind pages a long collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Query parameter names for the first item and the page size.
    pub offset: &'static str,
    pub limit: &'static str,
    /// Added to every page's query (FMC: `expanded=true`, whole objects).
    pub extra: &'static str,
    /// The largest page the device serves.
    pub max_page: u64,
    /// Where a reply says how many items there are in all (a JSON pointer).
    pub total: &'static str,
}

/// How to read the kind's error bodies.
#[derive(Debug, Clone, Copy)]
pub struct ErrorReading {
    /// The device's own words in an error body, if it is one of the kind's shapes.
    pub message: fn(&str) -> Option<String>,
    /// What the user should do about an error, when the kind knows better than the generic
    /// advice (`crate::devices::error::advice`).
    pub advice: fn(u16, &str) -> Option<&'static str>,
}

/// Everything neutral code needs to know about one kind of device.
pub struct Profile {
    pub kind: DeviceKind,
    /// Human name, as shown in the device list ("F5 BIG-IP").
    pub label: &'static str,
    pub rules: RenewalRules,
    /// The request header that carries the access token on ordinary calls.
    pub token_header: &'static str,
    /// Every header of the kind's protocol that must cross the relay (besides
    /// `crate::wire::headers::NEUTRAL_HEADERS`).
    pub headers: &'static [HeaderRule],
    /// Query parameters that carry a credential (masked in "copy as curl").
    pub secret_query_params: &'static [&'static str],
    /// The kind's token calls: the relay admits them under the reserve of a device's budget,
    /// and the console puts them first in line.
    pub token_calls: &'static [TokenCall],
    /// The largest request body the device accepts, if it says.
    pub max_body_bytes: Option<u64>,
    pub provider: ProviderField,
    /// Tokens one user may hold at once, where the device limits it.
    pub token_limit: Option<u32>,
    /// The kind's own pages, the landing page first.
    pub pages: &'static [Page],
    pub explorer: ExplorerHints,
    /// The scope calls live in, where the kind has one.
    pub scope: Option<ScopeRule>,
    /// How long collections are paged, where the kind pages them.
    pub paging: Option<Paging>,
    /// The host every link in the kind's bodies names whatever the device's address
    /// (F5: `https://localhost`); `None`: links name the address the client called.
    pub link_host: Option<&'static str>,
    pub errors: ErrorReading,
    /// The login call (never carries a token).
    pub login: fn(&Credentials) -> Call,
    pub read_login: fn(&Reply) -> Result<LoginOutcome, ProtocolError>,
    /// The renewal call, if the kind offers that renewal.
    pub renew: fn(&Renewal) -> Option<Call>,
    pub read_renewal: fn(&Renewal, &Reply) -> Result<IssuedTokens, ProtocolError>,
    /// The calls that end a session on the device (access token, refresh token).
    pub end_session: fn(&str, Option<&str>) -> Vec<Call>,
    /// A cheap authenticated call whose reply shows the device's clock.
    pub clock_probe: fn(&str) -> Call,
    /// How to read the certificate's SHA-256 fingerprint on the device itself.
    pub fingerprint_hint: &'static str,
}

/// Reading a fingerprint from any trusted machine that reaches the device.
pub const OPENSSL_FINGERPRINT: &str = "openssl s_client -connect HOST:PORT </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256";

impl Profile {
    /// The landing page's slug.
    pub fn home(&self) -> &'static str {
        self.pages.first().map(|p| p.slug).unwrap_or("explorer")
    }

    /// Attach the access token to a call.
    pub fn authenticate(&self, call: Call, token: &str) -> Call {
        call.header(self.token_header, token)
    }

    /// How urgent a call is: one of the kind's token calls, or an ordinary one.
    pub fn priority(&self, method: &str, path: &str) -> Priority {
        let path = path.split('?').next().unwrap_or(path);
        if self.token_calls.iter().any(|c| c.matches(method, path)) {
            Priority::Token
        } else {
            Priority::Ordinary
        }
    }

    /// The device's own words in an error body (any of the kind's shapes).
    pub fn error_message(&self, body: &str) -> Option<String> {
        (self.errors.message)(body)
    }
}
