//! Every header that may cross the relay, and every secret, joined from the neutral ones
//! (`crate::wire::headers`) and each kind's profile — built once, then read by the relay's
//! allowlist and log redaction on every call and by "copy as curl".

use std::sync::LazyLock;

use super::profiles;
use crate::wire::headers::{HeaderRule, NEUTRAL_HEADERS, UNFORWARDED_SECRETS};

/// The joined lists (lower case, each name once).
struct Lists {
    request: Vec<&'static str>,
    reply: Vec<&'static str>,
    secret: Vec<&'static str>,
    secret_query: Vec<&'static str>,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    let rules: Vec<HeaderRule> = NEUTRAL_HEADERS
        .into_iter()
        .chain(profiles().flat_map(|p| p.headers.iter().copied()))
        .collect();
    let names = |keep: fn(&HeaderRule) -> bool| {
        let mut names: Vec<&'static str> = Vec::new();
        for rule in rules.iter().filter(|r| keep(r)) {
            if !names.contains(&rule.name) {
                names.push(rule.name);
            }
        }
        names
    };
    let mut secret = names(|r| r.secret);
    secret.extend(UNFORWARDED_SECRETS);
    let mut secret_query: Vec<&'static str> = Vec::new();
    for name in profiles().flat_map(|p| p.secret_query_params.iter().copied()) {
        if !secret_query.contains(&name) {
            secret_query.push(name);
        }
    }
    Lists {
        request: names(|r| r.direction.request()),
        reply: names(|r| r.direction.reply()),
        secret,
        secret_query,
    }
});

/// Every request header a device may receive (lower case).
pub fn request_headers() -> &'static [&'static str] {
    &LISTS.request
}

/// Every reply header the console may read (lower case).
pub fn reply_headers() -> &'static [&'static str] {
    &LISTS.reply
}

/// Every header whose value must never reach a log, in either direction (lower case).
pub fn secret_headers() -> &'static [&'static str] {
    &LISTS.secret
}

/// Whether `name` (any case) carries a secret.
pub fn is_secret_header(name: &str) -> bool {
    LISTS.secret.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// Whether a query parameter named `name` carries a credential on some kind.
pub fn is_secret_query_param(name: &str) -> bool {
    LISTS
        .secret_query
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::DeviceKind;

    #[test]
    fn every_kinds_token_header_crosses_and_is_secret() {
        for kind in DeviceKind::ALL {
            let token = super::super::profile(kind).token_header;
            assert!(is_secret_header(token), "{kind}: {token}");
            assert!(is_secret_header(&token.to_ascii_uppercase()), "{kind}");
            assert!(
                request_headers().contains(&token.to_ascii_lowercase().as_str()),
                "{kind}"
            );
        }
    }

    #[test]
    fn secrets_include_what_is_never_forwarded_and_lists_hold_each_name_once() {
        assert!(is_secret_header("X-Tokendeck-Access-Key"));
        assert!(is_secret_header("Cookie"));
        assert!(is_secret_header("authorization"));
        assert!(!is_secret_header("content-type"));
        assert!(!request_headers().contains(&"cookie"));
        assert!(!reply_headers().contains(&"set-cookie"));
        for list in [request_headers(), reply_headers(), secret_headers()] {
            let mut seen = std::collections::BTreeSet::new();
            for name in list {
                assert!(seen.insert(name), "{name} twice");
                assert_eq!(*name, name.to_ascii_lowercase());
            }
        }
        assert!(!is_secret_query_param("offset"));
    }
}
