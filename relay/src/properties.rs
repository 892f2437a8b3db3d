//! The forwarding path's promises as checks over any input, for two runners: the property
//! tests below (`cargo test -p relay`) and the fuzz targets in `fuzz/` (`forward_path`,
//! `forward_headers`), which enable the `fuzzing` feature to reach them. Each check returns
//! the first promise broken, with the input.
//!
//! - [`check_forward_target`]: a device path the relay accepts becomes an origin-form target
//!   (no scheme, no host: the pool dials the inventory's address), rooted at the device, as
//!   exactly the path the client sent, with no `.` or `..` segment, backslash or `@` once the
//!   device decodes it, nor (but for a BIG-IP route domain's `@`) once decoded twice.
//! - [`check_header_filters`]: only allowlisted headers cross, in either direction, each with
//!   all its values in order; every secret header's values are marked sensitive, and stay so
//!   through the filters.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use percent_encoding::{percent_decode, percent_decode_str};
use shared::wire::forward::{DEVICES_PREFIX, FORWARD_INFIX, ForwardPath};

use crate::routes::forward::headers::{
    is_secret, mark_secrets, request_header_allowed, response_header_allowed, to_client, to_device,
};
use crate::routes::forward::target::{check_device_path, device_target};

/// `rest` (still percent-encoded, as the client sent it) after `/api/devices/{device_id}/fwd/`,
/// with `query`. The raw path is spelled from the grammar's own pieces (not with
/// `shared::wire::forward_path`, which folds leading slashes and would hide absolute paths),
/// then read as the relay reads it.
pub fn check_forward_target(
    device_id: &str,
    rest: &str,
    query: Option<&str>,
) -> Result<(), String> {
    let raw = format!("{DEVICES_PREFIX}{device_id}{FORWARD_INFIX}{rest}");
    let Some(fwd) = ForwardPath::parse(&raw) else {
        return Ok(());
    };
    let Ok(path) = check_device_path(fwd.device_path()) else {
        return Ok(());
    };
    let fail = |why: String| {
        Err(format!(
            "{why}\n  raw path: {raw:?}\n  device path: {path:?}"
        ))
    };
    let Ok(target) = device_target(path, query) else {
        return Ok(());
    };
    // Origin form: the pool dials the device's own address, so the target may name no other.
    if target.scheme().is_some() || target.authority().is_some() {
        return fail(format!("{target} names a scheme or a host"));
    }
    let sent_path = target.path();
    if !sent_path.starts_with('/') || sent_path.starts_with("//") {
        return fail(format!("{target}: the path is not rooted at the device"));
    }
    let sent: Vec<u8> = percent_decode_str(sent_path).collect();
    let asked: Vec<u8> = percent_decode_str(path).collect();
    if sent != asked {
        return fail(format!("{target}: the device would read another path"));
    }
    let decoded = String::from_utf8_lossy(&sent);
    if decoded.split('/').any(|s| s == "." || s == "..") {
        return fail(format!("{target}: a dot segment reaches the device"));
    }
    if decoded.contains(['\\', '@']) {
        return fail(format!("{target}: a backslash or @ reaches the device"));
    }
    // A device (or what runs behind it) that decodes once more.
    let twice: Vec<u8> = percent_decode(&sent).collect();
    let slashes = |path: &[u8]| path.iter().filter(|&&b| b == b'/').count();
    let again = String::from_utf8_lossy(&twice);
    if again.split('/').any(|s| s == "." || s == "..") {
        return fail(format!("{target}: a dot segment, decoded twice"));
    }
    if slashes(&twice) != slashes(&sent) {
        return fail(format!("{target}: another slash, decoded twice"));
    }
    if twice.iter().any(|b| matches!(b, b'\\' | 0 | b'\r' | b'\n')) {
        return fail(format!(
            "{target}: a backslash, NUL, CR or LF, decoded twice"
        ));
    }
    if !at_signs_only_in_route_domains(&twice) {
        return fail(format!(
            "{target}: an @, decoded twice, outside a route domain"
        ));
    }
    Ok(())
}

/// Whether every `@` in `path` (decoded twice) is what a BIG-IP route domain `%40…` becomes:
/// after an address character, followed by at most three more digits and then the end, `/`
/// or `:`.
fn at_signs_only_in_route_domains(path: &[u8]) -> bool {
    (0..path.len()).filter(|&i| path[i] == b'@').all(|i| {
        let before = i.checked_sub(1).map(|b| path[b]);
        let after = &path[i + 1..];
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        before.is_some_and(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':'))
            && digits <= 3
            && matches!(after.get(digits), None | Some(b'/' | b':'))
    })
}

/// Headers from raw name and value bytes (pairs that are not valid HTTP are left out).
pub fn header_map(pairs: &[(Vec<u8>, Vec<u8>)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

pub fn check_header_filters(headers: &HeaderMap) -> Result<(), String> {
    let fail = |why: String| Err(format!("{why}\n  headers: {headers:?}"));
    for (filtered, allowed, direction) in [
        (
            to_device(headers),
            request_header_allowed as fn(&str) -> bool,
            "to the device",
        ),
        (to_client(headers), response_header_allowed, "to the client"),
    ] {
        if let Some(name) = filtered.keys().find(|n| !allowed(n.as_str())) {
            return fail(format!("{name} crosses {direction}"));
        }
        for name in headers.keys().filter(|n| allowed(n.as_str())) {
            if !filtered
                .get_all(name)
                .iter()
                .eq(headers.get_all(name).iter())
            {
                return fail(format!("{name} does not cross {direction} whole"));
            }
        }
    }
    let mut marked = headers.clone();
    mark_secrets(&mut marked);
    for (name, value) in &marked {
        let secret = is_secret(name.as_str());
        if secret && (!value.is_sensitive() || format!("{value:?}") != "Sensitive") {
            return fail(format!("a value of {name} is not marked secret"));
        }
        if !secret && value.is_sensitive() {
            return fail(format!("{name} is marked secret"));
        }
    }
    for filtered in [to_device(&marked), to_client(&marked)] {
        if let Some((name, _)) = filtered
            .iter()
            .find(|(n, v)| is_secret(n.as_str()) && !v.is_sensitive())
        {
            return fail(format!("{name} lost its secret mark crossing the relay"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::forward::headers::{allowed_request_headers, allowed_response_headers};
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;
    use shared::devices::headers::secret_headers;

    /// Paths built from the characters that matter for escapes.
    fn raw_paths() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "mgmt",
            "~Common~",
            "/",
            "//",
            ".",
            "..",
            "%",
            "%2e",
            "%2E",
            "%2f",
            "%25",
            "%252e",
            "%5c",
            "\\",
            "@",
            ":",
            "?",
            "#",
            "%00",
            "%0a",
            "1",
            "e",
            "f",
            "c",
            "5",
            "2",
            " ",
            "\u{7f}",
            "é",
            "http:",
            "evil.example",
            "%32",
            "%65",
            "%30",
            "%64",
            "%34",
            "%2540",
            "%250",
            "~10.1.1.1",
        ]);
        prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
    }

    fn names() -> impl Strategy<Value = Vec<u8>> {
        let mut known: Vec<Vec<u8>> = secret_headers()
            .iter()
            .copied()
            .chain(allowed_request_headers())
            .chain(allowed_response_headers())
            .chain([
                "Host",
                "origin",
                "x-forwarded-for",
                "te",
                "connection",
                "location",
            ])
            .map(|s| s.as_bytes().to_vec())
            .collect();
        // Names as clients may spell them (HTTP names are case-insensitive).
        known.extend(
            secret_headers()
                .iter()
                .map(|s| s.to_ascii_uppercase().into_bytes()),
        );
        prop_oneof![
            prop::sample::select(known),
            "[a-z][a-z0-9_-]{0,20}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..8),
        ]
    }

    fn values() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "[A-Za-z0-9+/=]{8,24}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..16),
        ]
    }

    proptest! {
        #[test]
        fn no_accepted_path_escapes_the_base_url(
            rest in raw_paths(),
            query in prop::option::of("[a-z=&$%#?/]{0,12}"),
            id in prop::sample::select(vec!["lab", "adhoc~lab~10.1.1.5~443", "a%2Fb", "x/fwd/y"]),
        ) {
            check_forward_target(id, &rest, query.as_deref()).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn only_allowlisted_headers_cross_and_secrets_stay_marked(
            pairs in prop::collection::vec((names(), values()), 0..16),
        ) {
            check_header_filters(&header_map(&pairs)).map_err(TestCaseError::fail)?;
        }
    }
}
