//! Name-based UUIDs: the MD5 of a name with the version nibble forced to 3 and the RFC 4122
//! variant bits set to `10` — a version-3 UUID without a namespace. iControl REST derives the
//! UUIDs in its user and provider links this way; the simulated FMC uses the same recipe for a
//! stable `USER_UUID`.
//!
//! Written here rather than taken from `shared`, so a misreading of the recipe in the console's
//! code is not mirrored by the devices it is tested against.

use md5::{Digest, Md5};

/// The UUID derived from `name`.
pub fn name_uuid(name: &str) -> String {
    let mut bytes: [u8; 16] = Md5::digest(name.as_bytes()).into();
    bytes[6] = (bytes[6] & 0x0f) | 0x30;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_examples() {
        assert_eq!(name_uuid("foo"), "acbd18db-4cc2-385c-adef-654fccc4a4d8");
        assert_eq!(name_uuid("tmos"), "1f44a60e-11a7-3c51-a49f-82983026b41b");
    }
}
