//! Each kind of device's protocol, as pure call descriptions and reply readers, matched on the
//! kind once ([`profile`]). The session machine gets the kind's [`RenewalRules`] from here; the
//! console performs the [`Call`]s a profile describes without knowing the vendor. A fourth kind
//! would be one more folder and one more arm below.
//!
//! Layering: `devices` builds on `session` and `wire`; nothing below imports it.

pub mod bigip;
pub mod bigiq;
pub mod call;
pub mod error;
pub mod f5;
pub mod fields;
pub mod fmc;
pub mod links;
pub mod table;

pub use call::{Call, Reply};

use crate::session::{IssuedTokens, Renewal, RenewalRules};
use crate::wire::DeviceKind;

/// What the login form collected. Lives in the console's memory only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// The login provider as the kind understands it (BIG-IP: a provider name; BIG-IQ: a
    /// provider link or name; FMC: unused).
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

/// An administrative domain (FMC); other kinds have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    pub uuid: String,
}

/// What a successful login tells the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    pub tokens: IssuedTokens,
    /// The domains the user may work in, the user's own first (FMC).
    pub domains: Vec<Domain>,
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

/// Everything the console needs to know about one kind of device.
pub struct Profile {
    pub kind: DeviceKind,
    pub rules: RenewalRules,
    /// The request header that carries the access token on ordinary calls.
    pub token_header: &'static str,
    pub provider: ProviderField,
    /// Tokens one user may hold at once, where the device limits it.
    pub token_limit: Option<u32>,
    /// The kind's own pages, the landing page first.
    pub pages: &'static [Page],
    /// Where the Explorer starts (`{domain}` stands for the chosen domain's UUID).
    pub explorer_roots: &'static [&'static str],
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
}

/// The one place that matches on the kind.
pub fn profile(kind: DeviceKind) -> &'static Profile {
    match kind {
        DeviceKind::Bigip => &bigip::PROFILE,
        DeviceKind::Bigiq => &bigiq::PROFILE,
        DeviceKind::Fmc => &fmc::PROFILE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_profile_of_its_own() {
        for kind in [DeviceKind::Bigip, DeviceKind::Bigiq, DeviceKind::Fmc] {
            let p = profile(kind);
            assert_eq!(p.kind, kind);
            assert!(!p.pages.is_empty(), "{kind:?}");
            assert!(!p.explorer_roots.is_empty(), "{kind:?}");
            let login = (p.login)(&Credentials {
                username: "admin".into(),
                password: "pw".into(),
                provider: p.provider.default.into(),
            });
            assert!(
                !login.headers.iter().any(|(n, _)| n == p.token_header),
                "a login never carries a token"
            );
        }
    }
}
