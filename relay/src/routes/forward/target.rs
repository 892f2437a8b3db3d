//! Phase 1 of a forward, the upstream target: which method, which URL. The relay dials the
//! device's base URL only: the path is validated (still percent-encoded, as the client sent
//! it) so nothing in it can change host, port or scheme, or climb out of the device's API.
//! Pure functions, so fuzz targets and property tests call them directly
//! (`crate::properties::check_forward_target`).

use axum::http::Method;
use reqwest::Url;

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

/// Percent-encodings that are refused anywhere in a device path: dots, slashes, backslashes,
/// NUL, CR, LF and `@`.
const FORBIDDEN_ENCODED: [&str; 7] = ["%2e", "%2f", "%5c", "%00", "%0d", "%0a", "%40"];

/// Double encodings (`%25` + one of these) of a dot, slash or backslash: refused, while
/// other `%25…` pass, so BIG-IP route-domain names (`10.1.1.1%0` sent as `10.1.1.1%250`) work.
const FORBIDDEN_DOUBLE_ENCODED: [&str; 3] = ["%252e", "%252f", "%255c"];

/// The device path in the raw (still percent-encoded) request path, validated so that nothing
/// in it can steer the relay away from the device's base URL.
pub fn device_path(raw_path: &str, device_id: &str) -> Result<String, RelayError> {
    let prefix = format!("/api/devices/{device_id}/fwd/");
    let rest = raw_path
        .strip_prefix(&prefix)
        .ok_or_else(|| RelayError::ForbiddenTarget("the path is not under /fwd/".into()))?;
    let lowered = rest.to_ascii_lowercase();
    let forbidden = |why: &str| Err(RelayError::ForbiddenTarget(why.into()));
    if rest.is_empty() {
        return forbidden("an empty device path");
    }
    if rest.starts_with('/') || lowered.contains("//") {
        return forbidden("an absolute or protocol-relative path");
    }
    if rest.split('/').any(|seg| seg == "." || seg == "..") {
        return forbidden("a path with . or .. segments");
    }
    if FORBIDDEN_ENCODED.iter().any(|enc| lowered.contains(enc)) {
        return forbidden("percent-encoded dots, slashes, backslashes, @, NUL, CR or LF");
    }
    if FORBIDDEN_DOUBLE_ENCODED
        .iter()
        .any(|enc| lowered.contains(enc))
    {
        return forbidden("doubly percent-encoded dots, slashes or backslashes");
    }
    if rest.contains(['\\', '@', '\r', '\n', '#']) || rest.chars().any(char::is_control) {
        return forbidden("a backslash, @, #, or control character");
    }
    Ok(format!("/{rest}"))
}

/// The URL to call: the device's base URL with `path` (from [`device_path`]) and the client's
/// query. Refuses anything that would change the scheme, host or port.
pub fn device_url(base: &Url, path: &str, query: Option<&str>) -> Result<Url, RelayError> {
    let mut url = base.clone();
    url.set_path(path);
    url.set_query(query);
    let same_place = url.scheme() == base.scheme()
        && url.host() == base.host()
        && url.port() == base.port()
        && url.username() == base.username()
        && url.password() == base.password();
    if !same_place {
        return Err(RelayError::ForbiddenTarget(
            "the target host changed".into(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> Result<String, RelayError> {
        device_path(raw, "lab")
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
            "/api/devices/other/fwd/mgmt",
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
}
