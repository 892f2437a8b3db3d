//! The name-based UUIDs iControl REST puts in user links:
//! `/mgmt/cm/system/authn/providers/<provider>/<uuid(provider)>/users/<uuid(user)>` (seeds 001, 003).
//!
//! They are the MD5 of the name with the version nibble forced to 3 and the RFC 4122 variant
//! bits set to `10` — a version-3 UUID without a namespace.

use md5::{Digest, Md5};

/// The UUID iControl REST derives from a provider or user name.
pub fn f5_name_uuid(name: &str) -> String {
    let mut bytes: [u8; 16] = Md5::digest(name.as_bytes()).into();
    bytes[6] = (bytes[6] & 0x0f) | 0x30;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The `user.link` of a token owned by `user` who logged in through `provider`.
pub fn user_link(provider: &str, user: &str) -> String {
    format!(
        "https://localhost/mgmt/cm/system/authn/providers/{provider}/{}/users/{}",
        f5_name_uuid(provider),
        f5_name_uuid(user)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_examples() {
        assert_eq!(f5_name_uuid("foo"), "acbd18db-4cc2-385c-adef-654fccc4a4d8");
        assert_eq!(f5_name_uuid("tmos"), "1f44a60e-11a7-3c51-a49f-82983026b41b");
    }

    #[test]
    fn user_link_has_both_uuids() {
        assert_eq!(
            user_link("tmos", "foo"),
            "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/users/acbd18db-4cc2-385c-adef-654fccc4a4d8"
        );
    }
}
