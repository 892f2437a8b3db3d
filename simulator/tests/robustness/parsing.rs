//! Property test twin of the future fuzz targets: the pure request-parsing functions
//! (`simulator::parsing`) never panic on any input and keep their round trips.

use proptest::prelude::*;
use simulator::parsing::{
    NodeCommand, NodeRef, PageRequest, basic_credentials_from, declared_length, json_body,
    login_provider, query_params, valid_node_name, without_trailing_slash,
};

/// `%XX` decoding, as the router applies it to a path segment.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn json_bodies_parse_or_are_refused(content_type in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)), body in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(Some(value)) = json_body(content_type.as_deref(), &body) {
            prop_assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap(), value);
        }
    }

    #[test]
    fn basic_credentials_round_trip(user in "[^:]{0,20}", password in "\\PC{0,20}", junk in proptest::collection::vec(any::<u8>(), 0..60)) {
        use base64::Engine;
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
        prop_assert_eq!(basic_credentials_from(header.as_bytes()), Some((user, password)));
        let _ = basic_credentials_from(&junk);
    }

    #[test]
    fn trailing_slashes_go_once(path in "/[a-z/]{0,20}") {
        if let Some(trimmed) = without_trailing_slash(&path) {
            prop_assert!(trimmed == "/" || !trimmed.ends_with('/'));
            prop_assert_eq!(without_trailing_slash(trimmed), None);
        }
    }

    #[test]
    fn node_links_lead_back_to_their_node(partition in "[A-Za-z][A-Za-z0-9_]{0,8}", name in "[A-Za-z0-9][A-Za-z0-9._:-]{0,12}", route_domain in proptest::option::of(0u16..65_535)) {
        let name = match route_domain {
            Some(rd) => format!("{name}%{rd}"),
            None => name,
        };
        prop_assert!(valid_node_name(&name), "{}", name);
        let node = NodeRef::parse(&format!("~{partition}~{name}"));
        let segment = node.link_segment();
        prop_assert_eq!(NodeRef::parse(&percent_decode(&segment)), node);
    }

    #[test]
    fn node_bodies_and_segments_never_panic(segment in "\\PC{0,30}", body in "\\PC{0,60}") {
        let node = NodeRef::parse(&segment);
        let _ = node.full_path();
        let _ = node.link_segment();
        let value = serde_json::from_str(&body).ok();
        let _ = NodeCommand::create(value.clone());
        let _ = NodeCommand::modify(node, value, true);
    }

    #[test]
    fn pages_stay_within_fmc_bounds(query in "[a-z=&0-9%-]{0,40}") {
        if let Ok(page) = PageRequest::from_query(Some(&query)) {
            prop_assert!((1..=1000).contains(&page.limit));
        }
        let _ = query_params(Some(&query));
    }

    #[test]
    fn login_links_never_panic(link in "\\PC{0,60}", name in "\\PC{0,10}") {
        let _ = login_provider(&link, &name, &["corp-ldap".to_owned()]);
    }

    #[test]
    fn declared_lengths_are_read_or_ignored(value in "\\PC{0,24}") {
        let mut headers = axum::http::HeaderMap::new();
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            headers.insert("content-length", value);
        }
        let _ = declared_length(&headers);
    }
}
