//! Header names both sides of the relay must agree on. The secret list is defined here once:
//! the relay's log redaction and header allowlist, and the app's "copy as curl", all read it,
//! so a new token header cannot be masked in one place and leaked in another.

use super::relay_error::ACCESS_KEY_HEADER;

/// Request headers that carry a device credential (lower case). Every one of them may cross
/// the relay to a device, and none may ever be logged or shown unmasked.
pub const DEVICE_SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-f5-auth-token",
    "x-auth-access-token",
    "x-auth-refresh-token",
];

/// Device credential headers a device sends back (FMC's token pair, lower case).
pub const DEVICE_SECRET_REPLY_HEADERS: [&str; 2] = ["x-auth-access-token", "x-auth-refresh-token"];

/// Every header whose value must never reach a log, in either direction (lower case).
pub const SECRET_HEADERS: [&str; 7] = [
    DEVICE_SECRET_HEADERS[0],
    DEVICE_SECRET_HEADERS[1],
    DEVICE_SECRET_HEADERS[2],
    DEVICE_SECRET_HEADERS[3],
    "cookie",
    "set-cookie",
    ACCESS_KEY_HEADER,
];

/// Whether `name` (any case) carries a secret.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| name.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_device_credential_header_is_secret() {
        for name in DEVICE_SECRET_HEADERS
            .iter()
            .chain(&DEVICE_SECRET_REPLY_HEADERS)
        {
            assert!(is_secret_header(name), "{name}");
            assert!(is_secret_header(&name.to_ascii_uppercase()), "{name}");
        }
        assert!(is_secret_header("X-Tokendeck-Access-Key"));
        assert!(!is_secret_header("content-type"));
    }
}
