//! Phase 1 of a forward, the upstream target: which method, which request target. The relay
//! dials the device's own address (its pool knows it) and sends an origin-form target, a path
//! and query only, so nothing in it can change host, port or scheme; the path is validated
//! (still percent-encoded, as the client sent it) so it cannot climb out of the device's API.
//! Pure functions, so fuzz targets and property tests call them directly
//! (`crate::properties::check_forward_target`).

use std::borrow::Cow;

use axum::http::{Method, Uri};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

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
/// path: dots, slashes, backslashes, NUL, CR, LF and `@`.
const FORBIDDEN_ENCODED: [&[u8; 2]; 7] = [b"2e", b"2f", b"5c", b"00", b"0d", b"0a", b"40"];

/// Double encodings (`%25` + one of these) of a dot, slash or backslash: refused, while
/// other `%25…` pass, so names that hold a `%` of their own (route-domain names such as
/// `10.1.1.1%0`, sent as `10.1.1.1%250`) work.
const FORBIDDEN_DOUBLE_ENCODED: [&[u8; 2]; 3] = [b"2e", b"2f", b"5c"];

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

/// Whether `path` holds `%` followed by `first` and then (if given) `then`, hex digits in any
/// case.
fn has_escape(path: &str, escapes: &[&[u8; 2]], after_25: bool) -> bool {
    let bytes = path.as_bytes();
    let pair = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|p| [p[0].to_ascii_lowercase(), p[1].to_ascii_lowercase()])
    };
    (0..bytes.len()).filter(|&i| bytes[i] == b'%').any(|i| {
        let (at, prefix_ok) = if after_25 {
            (i + 3, pair(i + 1) == Some(*b"25"))
        } else {
            (i + 1, true)
        };
        prefix_ok && pair(at).is_some_and(|p| escapes.contains(&&p))
    })
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
    if has_escape(rest, &FORBIDDEN_ENCODED, false) {
        return forbidden("percent-encoded dots, slashes, backslashes, @, NUL, CR or LF");
    }
    if has_escape(rest, &FORBIDDEN_DOUBLE_ENCODED, true) {
        return forbidden("doubly percent-encoded dots, slashes or backslashes");
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
