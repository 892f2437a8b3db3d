//! Each kind of device's protocol, as pure call descriptions and reply readers, and everything
//! else a kind means, as data: its [`Profile`]. [`profile`] is the one `match` on the kind; a
//! kind lives in its own folder (`bigip/`, `bigiq/`, `fmc/`; `f5/` is what BIG-IP and BIG-IQ
//! share). The rest of this folder is neutral and reads profiles: calls and replies, tables,
//! paging, scopes, links, error advice, and the headers and secrets every kind's protocol needs
//! across the relay.
//!
//! Layering: `devices` builds on `session` and `wire`; nothing below imports it.

pub mod bigip;
pub mod bigiq;
pub mod call;
pub mod error;
pub mod f5;
pub mod fields;
pub mod fmc;
pub mod headers;
pub mod links;
pub mod paging;
mod profile;
pub mod scope;
pub mod table;

pub use call::{Call, Reply};
pub use profile::{
    Credentials, ErrorReading, ExplorerHints, LoginOutcome, OPENSSL_FINGERPRINT, Page, Paging,
    Profile, ProtocolError, ProviderField, TokenCall,
};
pub use scope::{Scope, ScopeRule};

use crate::kind::DeviceKind;

/// The one place that matches on the kind.
pub fn profile(kind: DeviceKind) -> &'static Profile {
    match kind {
        DeviceKind::Bigip => &bigip::PROFILE,
        DeviceKind::Bigiq => &bigiq::PROFILE,
        DeviceKind::Fmc => &fmc::PROFILE,
    }
}

/// Every kind's profile, in [`DeviceKind::ALL`]'s order.
pub fn profiles() -> impl Iterator<Item = &'static Profile> {
    DeviceKind::ALL.into_iter().map(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_profile_of_its_own() {
        for kind in DeviceKind::ALL {
            let p = profile(kind);
            assert_eq!(p.kind, kind);
            assert!(!p.label.is_empty(), "{kind}");
            assert!(!p.pages.is_empty(), "{kind}");
            assert!(!p.explorer.roots.is_empty(), "{kind}");
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

    #[test]
    fn every_kinds_token_calls_are_told_from_its_other_calls() {
        use crate::session::Renewal;
        use crate::wire::budget::Priority;
        for p in profiles() {
            let priority = |call: &Call| p.priority(call.method, &call.path);
            let login = (p.login)(&Credentials {
                username: "u".into(),
                password: "p".into(),
                provider: p.provider.default.into(),
            });
            assert_eq!(priority(&login), Priority::Token, "{}: login", p.label);
            for renewal in [
                Renewal::Extend {
                    token: "TOKEN".into(),
                    timeout_secs: 2400,
                },
                Renewal::Exchange {
                    refresh_token: "R".into(),
                },
                Renewal::Refresh {
                    access_token: "A".into(),
                    refresh_token: "R".into(),
                },
            ] {
                if let Some(call) = (p.renew)(&renewal) {
                    assert_eq!(priority(&call), Priority::Token, "{}: {renewal:?}", p.label);
                }
            }
            for call in (p.end_session)("A", Some("R")) {
                assert_eq!(priority(&call), Priority::Token, "{}: {call:?}", p.label);
            }
            let probe = (p.clock_probe)("A");
            assert_eq!(
                priority(&probe),
                Priority::Ordinary,
                "{}: clock probe",
                p.label
            );
            for root in p.explorer.roots {
                assert_eq!(p.priority("GET", root), Priority::Ordinary, "{}", p.label);
            }
            assert_eq!(p.priority("GET", "/"), Priority::Ordinary);
        }
    }

    #[test]
    fn every_kind_declares_its_headers_as_the_relay_needs_them() {
        for p in profiles() {
            for rule in p.headers {
                assert_eq!(rule.name, rule.name.to_ascii_lowercase(), "{}", p.label);
            }
            // The token header crosses the relay, and is a secret.
            let token = p
                .headers
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(p.token_header))
                .unwrap_or_else(|| panic!("{}: no rule for {}", p.label, p.token_header));
            assert!(token.secret && token.direction.request(), "{}", p.label);
            // The scope placeholder only appears where the kind has a scope.
            for root in p.explorer.roots {
                let scoped = p.scope.is_some_and(|s| root.contains(s.placeholder));
                assert!(scoped || !root.contains('{'), "{}: {root}", p.label);
            }
        }
    }
}
