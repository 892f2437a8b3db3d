//! What names a built file after its bytes (the console's split wasm parts) and tells two
//! builds of a binary apart (the relay's training run).

/// The first 64 bits of the bytes' SHA-256, in 16 hex digits.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_content_hash_is_the_start_of_the_bytes_sha256() {
        // SHA-256 of nothing is e3b0c442 98fc1c14 9afbf4c8 …; of "abc", ba7816bf 8f01cfea ….
        assert_eq!(super::content_hash(b""), "e3b0c44298fc1c14");
        assert_eq!(super::content_hash(b"abc"), "ba7816bf8f01cfea");
    }
}
