//! The request-parsing functions' promises as checks over any input, for two runners: the
//! property tests below (`cargo test -p simulator --lib`) and the `simulator_parsing` fuzz
//! target in `fuzz/`, which enables the `fuzzing` feature to reach them. Every check also
//! holds that the function does not panic; each returns the first promise broken.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;

use super::{
    NodeCommand, NodeRef, PageRequest, PayloadError, basic_credentials_from, declared_length,
    json_body, login_provider, query_params, valid_node_name, without_trailing_slash,
};

/// The remote login providers [`check_login_provider`] offers.
pub const REMOTE_PROVIDERS: [&str; 2] = ["corp-ldap", "radius"];

/// A body is refused, empty, or exactly the JSON it says.
pub fn check_json_body(content_type: Option<&[u8]>, body: &[u8]) -> Result<(), String> {
    let parsed = serde_json::from_slice::<serde_json::Value>(body).ok();
    match json_body(content_type, body) {
        Ok(Some(value)) if parsed.as_ref() != Some(&value) => {
            Err(format!("{body:?} read as {value}, which it does not say"))
        }
        Ok(None)
            if !body.iter().all(u8::is_ascii_whitespace)
                && parsed != Some(serde_json::Value::Null) =>
        {
            Err(format!("{body:?} read as no body"))
        }
        Err(PayloadError::NotJsonContentType(_)) if content_type.is_none() => {
            Err("a body without a content type refused for its type".into())
        }
        _ => Ok(()),
    }
}

/// `Basic base64(user:password)` reads back as (user, password) for a user without `:`;
/// any other header value reads as something or nothing.
pub fn check_basic_credentials(user: &str, password: &str, other: &[u8]) -> Result<(), String> {
    let _ = basic_credentials_from(other);
    if user.contains(':') {
        return Ok(());
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let read = basic_credentials_from(format!("Basic {encoded}").as_bytes());
    if read != Some((user.to_owned(), password.to_owned())) {
        return Err(format!("{user:?}:{password:?} read as {read:?}"));
    }
    Ok(())
}

/// Trailing slashes go, all at once, and only they do.
pub fn check_trailing_slash(path: &str) -> Result<(), String> {
    let Some(trimmed) = without_trailing_slash(path) else {
        return Ok(());
    };
    let kept = trimmed == "/" || !trimmed.ends_with('/');
    if !kept || without_trailing_slash(trimmed).is_some() || !path.starts_with(trimmed) {
        return Err(format!("{path:?} trimmed to {trimmed:?}"));
    }
    Ok(())
}

/// A node named by any path segment leads back to itself through its link, and any body
/// makes a command or a refusal; a created node has valid names.
pub fn check_node(segment: &str, body: &[u8]) -> Result<(), String> {
    let node = NodeRef::parse(segment);
    let _ = node.full_path();
    let link = node.link_segment();
    let back = NodeRef::parse(&percent_decode(&link));
    if back != node {
        return Err(format!(
            "{segment:?} links as {link:?}, which names {back:?}"
        ));
    }
    let value = serde_json::from_slice(body).ok();
    if let Ok(NodeCommand::Create { target, .. }) = NodeCommand::create(value.clone())
        && !(valid_node_name(&target.partition) && valid_node_name(&target.name))
    {
        return Err(format!("created a node with an invalid name: {target:?}"));
    }
    let _ = NodeCommand::modify(node, value, true);
    Ok(())
}

/// `%XX` decoding, as the router applies it to a path segment.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A page is 1 to 1000 items, whatever the query.
pub fn check_page_query(query: &str) -> Result<(), String> {
    let _ = query_params(Some(query));
    match PageRequest::from_query(Some(query)) {
        Ok(page) if !(1..=1000).contains(&page.limit) => {
            Err(format!("{query:?} pages {} items", page.limit))
        }
        _ => Ok(()),
    }
}

/// A login names the local provider or one the device has, never another.
pub fn check_login_provider(link: &str, name: &str) -> Result<(), String> {
    let remote = REMOTE_PROVIDERS.map(str::to_owned);
    match login_provider(link, name, &remote) {
        Some((provider, _)) if provider != "local" && !remote.contains(&provider) => Err(format!(
            "{link:?} / {name:?} logs in with an unknown provider {provider:?}"
        )),
        _ => Ok(()),
    }
}

/// A `Content-Length` reads as the number it says, or as none.
pub fn check_declared_length(value: &[u8]) -> Result<(), String> {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(value) {
        headers.insert(header::CONTENT_LENGTH, value);
    }
    let said = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared_length(&headers) {
        Some(read) if Some(read) != said => Err(format!("{value:?} read as {read}")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    fn held(result: Result<(), String>) -> Result<(), TestCaseError> {
        result.map_err(TestCaseError::fail)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn json_bodies_parse_or_are_refused(
            content_type in prop::option::of(prop_oneof![
                Just(b"application/json".to_vec()),
                Just(b"application/vnd.api+json; charset=utf-8".to_vec()),
                prop::collection::vec(any::<u8>(), 0..40),
            ]),
            body in prop_oneof![
                "\\s*(null|\\{\\}|\\[1,\"a\"\\]|true)\\s*".prop_map(String::into_bytes),
                prop::collection::vec(any::<u8>(), 0..200),
            ],
        ) {
            held(check_json_body(content_type.as_deref(), &body))?;
        }

        #[test]
        fn basic_credentials_round_trip(user in "[^:]{0,20}", password in "\\PC{0,20}", other in prop::collection::vec(any::<u8>(), 0..60)) {
            held(check_basic_credentials(&user, &password, &other))?;
        }

        #[test]
        fn trailing_slashes_go_once(path in "/[a-z/]{0,20}") {
            held(check_trailing_slash(&path))?;
        }

        #[test]
        fn valid_node_names_lead_back_to_their_node(partition in "[A-Za-z][A-Za-z0-9_]{0,8}", name in "[A-Za-z0-9][A-Za-z0-9._:-]{0,12}", route_domain in prop::option::of(0u16..65_535)) {
            let name = match route_domain {
                Some(rd) => format!("{name}%{rd}"),
                None => name,
            };
            prop_assert!(valid_node_name(&name), "{}", name);
            held(check_node(&format!("~{partition}~{name}"), b""))?;
        }

        #[test]
        fn any_node_segment_and_body_is_read_or_refused(segment in "\\PC{0,30}", body in "\\PC{0,60}") {
            held(check_node(&segment, body.as_bytes()))?;
        }

        #[test]
        fn pages_stay_within_fmc_bounds(query in "[a-z=&0-9%+-]{0,40}") {
            held(check_page_query(&query))?;
        }

        #[test]
        fn logins_name_only_known_providers(
            link in prop_oneof![
                "\\PC{0,60}",
                "(https://[a-z]{0,8})?/mgmt/cm/system/authn/providers/(local|corp-ldap|ldap/[a-z0-9-]{0,12}|x/y/z)/login",
            ],
            name in prop_oneof!["\\PC{0,10}", Just("radius".to_owned()), Just("tmos".to_owned())],
        ) {
            held(check_login_provider(&link, &name))?;
        }

        #[test]
        fn declared_lengths_are_read_or_ignored(value in prop_oneof!["\\PC{0,24}", " ?[0-9]{1,22} ?"]) {
            held(check_declared_length(value.as_bytes()))?;
        }
    }
}
