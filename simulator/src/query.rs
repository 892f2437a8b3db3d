//! Query strings, read leniently: a malformed query never fails a request.

/// Every `name=value` pair of a raw query, percent-decoded; nothing for a malformed one.
pub fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

/// The value of query parameter `name`, if given.
pub fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    query_params(raw)
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// Whether query parameter `name` is `true` (in any case).
pub fn query_flag(raw: Option<&str>, name: &str) -> bool {
    query_param(raw, name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}
