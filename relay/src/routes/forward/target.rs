//! Phase 1 of a forward, the upstream target: which method, which request target. The relay
//! dials the device's own address (its pool knows it) and sends an origin-form target, a path
//! and query only, so nothing in it can change host, port or scheme; the path is validated
//! (still percent-encoded, as the client sent it) so it cannot climb out of the device's API.
//! Pure functions, so fuzz targets and property tests call them directly
//! (`crate::properties::check_forward_target`).

use std::borrow::Cow;

use axum::http::{Method, Uri};
use percent_encoding::{AsciiSet, CONTROLS, percent_decode, utf8_percent_encode};

use crate::error::RelayError;

/// The methods the devices' APIs use; anything else (CONNECT, TRACE, OPTIONS, inventions) is
/// refused with `405 method_not_allowed`.
pub const FORWARDED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";

/// The method to send the device, if the relay forwards it.
pub fn forwarded_method(method: &Method) -> Result<Method, RelayError> {
    match *method {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE => Ok(method.clone()),
        _ => Err(RelayError::MethodNotAllowed {
            method: method.as_str().chars().take(32).collect(),
            allowed: FORWARDED_METHODS,
        }),
    }
}

/// Percent-encodings (the two hex digits after `%`, lowercase) refused anywhere in a device
/// path: dots, slashes, backslashes, NUL, CR, LF and `@` — once encoded, and in the path as
/// the device decodes it once ([`double_encoded`]).
const FORBIDDEN_ENCODED: [&[u8; 2]; 7] = [b"2e", b"2f", b"5c", b"00", b"0d", b"0a", b"40"];

/// Characters the path of a request target may not hold as they are (the URL standard's path
/// set): they travel percent-encoded.
const PATH_ESCAPED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Whether `path` holds `%` followed by one of `escapes` (hex digits in any case).
fn has_escape(path: &[u8], escapes: &[&[u8; 2]]) -> bool {
    (0..path.len())
        .filter(|&i| path[i] == b'%')
        .any(|i| pair_at(path, i + 1).is_some_and(|p| escapes.contains(&&p)))
}

/// The two bytes at `at`, lowercased, if they are hex digits.
fn pair_at(bytes: &[u8], at: usize) -> Option<[u8; 2]> {
    let p = bytes.get(at..at + 2)?;
    p.iter()
        .all(u8::is_ascii_hexdigit)
        .then(|| [p[0].to_ascii_lowercase(), p[1].to_ascii_lowercase()])
}

/// Whether the device, once it has decoded `rest` (a device path, still percent-encoded), sees
/// a percent-encoding of a forbidden byte: a double encoding (`%252e`, `%250d`), with its hex
/// digits encoded too (`%25%32%65`), or behind a lone `%` (`%%32%65`). A device that decodes
/// twice would act on it.
///
/// Every `%` in the once-decoded path comes from a `%25` or from a `%` that starts no escape,
/// so paths without either (nearly all) pay a scan for `%` and no allocation.
fn double_encoded(rest: &str) -> bool {
    if !rest.contains('%') {
        return false;
    }
    let raw = rest.as_bytes();
    let may_decode_to_percent = (0..raw.len())
        .filter(|&i| raw[i] == b'%')
        .any(|i| matches!(pair_at(raw, i + 1), None | Some([b'2', b'5'])));
    if !may_decode_to_percent {
        return false;
    }
    let decoded: Vec<u8> = percent_decode(raw).collect();
    (0..decoded.len()).filter(|&i| decoded[i] == b'%').any(|i| {
        pair_at(&decoded, i + 1).is_some_and(|p| FORBIDDEN_ENCODED.contains(&&p))
            && !route_domain_at(&decoded, i)
    })
}

/// Whether the `%` at `percent` of a once-decoded path starts a BIG-IP route domain, which
/// the console sends as `%25<id>` (`~Common~10.1.1.1%2540` is node 10.1.1.1 in route domain 40)
/// and which reads exactly like a double-encoded `@`: after an address character, 2 to 5
/// decimal digits (no leading zero: the only forbidden pair made of such digits is `40`) up to
/// 65534, then the end of the path, `/` or `:` (a pool member's port). So the one thing it lets
/// through is an `@` followed by digits that end a segment, after an address, and only to a
/// device that decodes twice: in an origin-form target that never forms a userinfo.
fn route_domain_at(decoded: &[u8], percent: usize) -> bool {
    let address_char = |b: u8| b.is_ascii_hexdigit() || matches!(b, b'.' | b':');
    // The character before, as a device decoding twice reads it (`%31%2540` is `1@`, but
    // `%01%2540` is NUL `@`).
    let before = match percent.checked_sub(3) {
        Some(escape) if decoded[escape] == b'%' => pair_at(decoded, escape + 1)
            .and_then(|pair| u8::from_str_radix(std::str::from_utf8(&pair).ok()?, 16).ok()),
        _ => None,
    }
    .or_else(|| percent.checked_sub(1).map(|at| decoded[at]));
    let after = &decoded[percent + 1..];
    let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = std::str::from_utf8(&after[..digits])
        .ok()
        .and_then(|d| d.parse::<u32>().ok());
    after.starts_with(b"40")
        && before.is_some_and(address_char)
        && (2..=5).contains(&digits)
        && id.is_some_and(|id| id <= 65534)
        && matches!(after.get(digits), None | Some(b'/' | b':'))
}

/// The device path of a forward (`shared::wire::ForwardPath::device_path`: `/` and what
/// follows `/fwd/`, still percent-encoded, as the client sent it), validated so that nothing in
/// it can steer the relay away from the device's base URL. Returned as given.
pub fn check_device_path(path: &str) -> Result<&str, RelayError> {
    let forbidden = |why: &str| Err(RelayError::ForbiddenTarget(why.into()));
    let Some(rest) = path.strip_prefix('/') else {
        return forbidden("the path is not under /fwd/");
    };
    if rest.is_empty() {
        return forbidden("an empty device path");
    }
    if rest.starts_with('/') || rest.contains("//") {
        return forbidden("an absolute or protocol-relative path");
    }
    if rest.split('/').any(|seg| seg == "." || seg == "..") {
        return forbidden("a path with . or .. segments");
    }
    if has_escape(rest.as_bytes(), &FORBIDDEN_ENCODED) {
        return forbidden("percent-encoded dots, slashes, backslashes, @, NUL, CR or LF");
    }
    if double_encoded(rest) {
        return forbidden("doubly percent-encoded dots, slashes, backslashes, @, NUL, CR or LF");
    }
    if rest.contains(['\\', '@', '\r', '\n', '#']) || rest.chars().any(char::is_control) {
        return forbidden("a backslash, @, #, or control character");
    }
    Ok(path)
}

/// The request target to send the device: `path` (from [`check_device_path`]) and the client's
/// query, in origin form (no scheme, no host: the pool dials the device's base URL).
pub fn device_target(path: &str, query: Option<&str>) -> Result<Uri, RelayError> {
    let path: Cow<'_, str> = utf8_percent_encode(path, PATH_ESCAPED).into();
    let target = match query {
        Some(query) => format!("{path}?{query}"),
        None => path.into_owned(),
    };
    Uri::try_from(target)
        .map_err(|_| RelayError::ForbiddenTarget("the path is not a valid request target".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::wire::ForwardPath;

    /// The device path of a raw request path, as the forward checks it (a path outside the
    /// grammar is refused like one the check refuses).
    fn path(raw: &str) -> Result<&str, RelayError> {
        let fwd = ForwardPath::parse(raw)
            .ok_or_else(|| RelayError::ForbiddenTarget("not a forward".into()))?;
        check_device_path(fwd.device_path())
    }

    #[test]
    fn accepts_ordinary_device_paths() {
        assert_eq!(
            path("/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~web").unwrap(),
            "/mgmt/tm/ltm/node/~Common~web"
        );
        assert_eq!(
            path("/api/devices/lab/fwd/mgmt/tm/ltm/node/").unwrap(),
            "/mgmt/tm/ltm/node/"
        );
    }

    #[test]
    fn accepts_route_domain_names_sent_as_percent_25() {
        for (raw, device) in [
            (
                "/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~10.1.1.1%250",
                "/mgmt/tm/ltm/node/~Common~10.1.1.1%250",
            ),
            (
                "/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~10.1.1.1%252500",
                "/mgmt/tm/ltm/node/~Common~10.1.1.1%252500",
            ),
            (
                "/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~fe80::1%2512/stats",
                "/mgmt/tm/ltm/node/~Common~fe80::1%2512/stats",
            ),
        ] {
            assert_eq!(path(raw).unwrap(), device, "{raw}");
        }
        // Once decoded by the device, none of these holds the escape of a forbidden byte: a
        // lone `%`, bytes outside the set, or route domain 40 (and 400–409, 4000–4099,
        // 40000–40999), which reads like a double-encoded `@`.
        for rest in [
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2510",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2513",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2540",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2540/stats",
            "mgmt/tm/ltm/node/~Common~fe80::1%2540",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2540999",
            "mgmt/tm/ltm/pool/p/members/~Common~10.1.1.1%25400:80",
            "mgmt/tm/ltm/pool/p/members/~Common~10.1.1.1%2540:80/stats",
            "mgmt/shared/50%25%20off",
            "mgmt/shared/100%",
            "mgmt/shared/%250",
        ] {
            let raw = format!("/api/devices/lab/fwd/{rest}");
            assert_eq!(path(&raw).unwrap(), format!("/{rest}"), "{raw}");
        }
    }

    /// The device decodes once; a device (or an application behind it) that decodes again must
    /// find no dot, slash, backslash, `@`, NUL, CR or LF either, however the `%` and the hex
    /// digits are spelled.
    #[test]
    fn refuses_double_encodings_of_every_forbidden_byte() {
        for rest in [
            "mgmt/%25%32%65%25%32%65/x",
            "mgmt/%25%32%45",
            "mgmt/%252%65",
            "mgmt/%25%32e",
            "mgmt/%250%64",
            "mgmt/%250d%250aHost:x",
            "mgmt/%250D",
            "mgmt/%250a",
            "mgmt/%2540evil",
            "mgmt/%2540",
            "mgmt/x%2540y",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2540evil",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%25400000",
            "mgmt/%2501%2540",
            "mgmt/%2500",
            "mgmt/tm/ltm/node/~Common~10.1.1.1%2500",
            "mgmt/%%32%65",
            "mgmt/%%32%65%%32%65/x",
            "mgmt/%25%35%63",
            "mgmt/%25%32%66",
            "%252e",
            "mgmt/%252F",
            "mgmt/%255c",
        ] {
            let raw = format!("/api/devices/lab/fwd/{rest}");
            assert!(
                matches!(path(&raw), Err(RelayError::ForbiddenTarget(_))),
                "{raw} should be refused"
            );
        }
    }

    #[test]
    fn refuses_escapes() {
        for raw in [
            "/api/devices/lab/fwd/../../etc/passwd",
            "/api/devices/lab/fwd/mgmt/%2e%2e/x",
            "/api/devices/lab/fwd/mgmt%2F..%2Fx",
            "/api/devices/lab/fwd//evil.example/x",
            "/api/devices/lab/fwd/mgmt//x",
            "/api/devices/lab/fwd/user@evil/x",
            "/api/devices/lab/fwd/mgmt/%40evil",
            "/api/devices/lab/fwd/mgmt/%0d%0aHost:%20evil",
            "/api/devices/lab/fwd/mgmt\\..\\x",
            "/api/devices/lab/fwd/",
            "/api/devices/lab/fwdmgmt",
            "/api/devices/lab/fwd/%252e%252e/x",
            "/api/devices/lab/fwd/mgmt/%252E%252E/x",
            "/api/devices/lab/fwd/mgmt%252fx",
            "/api/devices/lab/fwd/mgmt%252F..%252Fx",
            "/api/devices/lab/fwd/mgmt%255cx",
            "/api/devices/lab/fwd/mgmt%255C..",
        ] {
            assert!(
                matches!(path(raw), Err(RelayError::ForbiddenTarget(_))),
                "{raw} should be refused"
            );
        }
    }

    #[test]
    fn an_encoded_device_id_leaves_the_device_path_as_it_was() {
        assert_eq!(
            path("/api/devices/adhoc%7Elab~10.1.1.5~443/fwd/mgmt/tm/sys").unwrap(),
            "/mgmt/tm/sys"
        );
        assert_eq!(path("/api/devices/%6Cab/fwd/x").unwrap(), "/x");
        assert!(
            check_device_path("mgmt").is_err(),
            "a device path starts with its slash"
        );
    }

    #[test]
    fn only_the_methods_devices_use_are_forwarded() {
        for ok in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] {
            assert!(forwarded_method(&Method::from_bytes(ok.as_bytes()).unwrap()).is_ok());
        }
        for refused in ["CONNECT", "TRACE", "OPTIONS", "PROPFIND", "BREW"] {
            let err = forwarded_method(&Method::from_bytes(refused.as_bytes()).unwrap());
            assert!(
                matches!(err, Err(RelayError::MethodNotAllowed { .. })),
                "{refused}"
            );
        }
    }

    #[test]
    fn targets_are_origin_form_with_the_query_as_given() {
        let target = device_target("/mgmt/tm/ltm/node/~Common~a b", Some("$select=name")).unwrap();
        assert_eq!(target.scheme(), None);
        assert_eq!(target.authority(), None);
        assert_eq!(target.path(), "/mgmt/tm/ltm/node/~Common~a%20b");
        assert_eq!(target.query(), Some("$select=name"));
    }
}
