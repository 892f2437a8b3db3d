//! What makes the pins in Redis trustworthy: an HMAC-SHA256 key every replica shares
//! (`state_signing_key_file`), which signs
//! - the store's generation marker (`<prefix>:state`: a random generation, when it was made,
//!   and its signature), written once by `relay --init-state`. A store without it has lost its
//!   data (or was never initialised), so the relay cannot tell a device nobody pinned from one
//!   whose pin was lost, and it fails closed;
//! - each pin, bound to the prefix, the generation and the device: a pin written by anyone
//!   without the key, moved to another device, or left from an older generation is refused, not
//!   applied.
//!
//! Pure: no I/O. Limit: a Redis writer who kept an old valid value of a generation can write it
//! back within that generation (a pin the device once had).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// Shortest key accepted: 32 bytes (`openssl rand -base64 32` gives 44 characters).
pub const MIN_KEY_BYTES: usize = 32;

const SIG: &str = ";sig=v1.";

/// The replicas' shared signing key.
pub struct StateKey(hmac::Key);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(<redacted>)")
    }
}

/// Why a stored pin is not applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinRefusal {
    #[error(
        "it is not signed (written without the relay's signing key, or before pins were signed)"
    )]
    Unsigned,
    #[error(
        "its signature does not match (written with another key, for another device, or in an earlier generation of the store)"
    )]
    BadSignature,
}

impl StateKey {
    pub fn new(bytes: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, bytes))
    }

    fn sign(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.0, message.as_bytes()).as_ref())
    }

    fn verify(&self, message: &str, sig: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(sig)
            .is_ok_and(|tag| hmac::verify(&self.0, message.as_bytes(), &tag).is_ok())
    }

    fn marker_message(prefix: &str, generation: &str, created: &str) -> String {
        format!("tokendeck state v1\0{prefix}\0{generation}\0{created}")
    }

    fn pin_message(prefix: &str, generation: &str, device: &str, fingerprint: &str) -> String {
        format!("tokendeck pin v1\0{prefix}\0{generation}\0{device}\0{fingerprint}")
    }

    /// The signature of a generation marker.
    pub fn sign_marker(&self, prefix: &str, generation: &str, created: &str) -> String {
        self.sign(&Self::marker_message(prefix, generation, created))
    }

    /// Whether `sig` is this key's signature of the marker (constant time).
    pub fn verify_marker(&self, prefix: &str, generation: &str, created: &str, sig: &str) -> bool {
        self.verify(&Self::marker_message(prefix, generation, created), sig)
    }

    /// The value stored for a pin: `sha256:<hex>;sig=v1.<signature>`.
    pub fn sign_pin(
        &self,
        prefix: &str,
        generation: &str,
        device: &str,
        fingerprint: &str,
    ) -> String {
        let sig = self.sign(&Self::pin_message(prefix, generation, device, fingerprint));
        format!("{fingerprint}{SIG}{sig}")
    }

    /// The fingerprint of a stored pin value, if this key signed it for `device` in
    /// `generation`.
    pub fn verify_pin(
        &self,
        prefix: &str,
        generation: &str,
        device: &str,
        value: &str,
    ) -> Result<String, PinRefusal> {
        let Some((fingerprint, sig)) = value.split_once(SIG) else {
            return Err(PinRefusal::Unsigned);
        };
        if self.verify(
            &Self::pin_message(prefix, generation, device, fingerprint),
            sig,
        ) {
            Ok(fingerprint.to_owned())
        } else {
            Err(PinRefusal::BadSignature)
        }
    }
}

/// The fingerprint part of a stored value, signed or not (for messages and adoption).
pub fn fingerprint_of(value: &str) -> &str {
    value
        .split_once(SIG)
        .map_or(value, |(fingerprint, _)| fingerprint)
}

/// Whether `fingerprint` has the form of a pin, `sha256:` and 64 hex digits.
pub fn is_fingerprint(fingerprint: &str) -> bool {
    fingerprint
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A new generation: 128 random bits, in hex.
pub fn new_generation() -> Result<String, ring::error::Unspecified> {
    let bytes: [u8; 16] = ring::rand::generate(&ring::rand::SystemRandom::new())?.expose();
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "sha256:abababababababababababababababababababababababababababababababab";

    fn key(byte: u8) -> StateKey {
        StateKey::new(&[byte; 32])
    }

    #[test]
    fn a_pin_verifies_only_for_its_device_generation_prefix_and_key() {
        let value = key(1).sign_pin("tokendeck", "g1", "lab", FP);
        assert!(value.starts_with(&format!("{FP};sig=v1.")), "{value}");
        assert_eq!(
            key(1).verify_pin("tokendeck", "g1", "lab", &value),
            Ok(FP.to_owned())
        );
        for (prefix, generation, device, with) in [
            ("tokendeck", "g1", "other", 1),
            ("tokendeck", "g2", "lab", 1),
            ("portal2", "g1", "lab", 1),
            ("tokendeck", "g1", "lab", 2),
        ] {
            assert_eq!(
                key(with).verify_pin(prefix, generation, device, &value),
                Err(PinRefusal::BadSignature),
                "{prefix} {generation} {device} {with}"
            );
        }
        // Another fingerprint under the same signature.
        let swapped = value.replace("sha256:ab", "sha256:cd");
        assert_eq!(
            key(1).verify_pin("tokendeck", "g1", "lab", &swapped),
            Err(PinRefusal::BadSignature)
        );
    }

    #[test]
    fn markers_verify_only_with_their_key() {
        let sig = key(1).sign_marker("tokendeck", "g1", "1700000000");
        assert!(key(1).verify_marker("tokendeck", "g1", "1700000000", &sig));
        assert!(!key(2).verify_marker("tokendeck", "g1", "1700000000", &sig));
        assert!(!key(1).verify_marker("tokendeck", "g1", "1700000001", &sig));
        assert!(!key(1).verify_marker("tokendeck", "g1", "1700000000", "garbage!"));
        assert!(format!("{:?}", key(1)).contains("redacted"));
    }

    #[test]
    fn legacy_unsigned_values_are_told_apart() {
        assert_eq!(
            key(1).verify_pin("tokendeck", "g1", "lab", FP),
            Err(PinRefusal::Unsigned)
        );
        assert_eq!(fingerprint_of(FP), FP);
        let signed = key(1).sign_pin("tokendeck", "g1", "lab", FP);
        assert_eq!(fingerprint_of(&signed), FP);
        assert!(is_fingerprint(FP));
        assert!(!is_fingerprint("sha256:ab"));
        let generation = new_generation().unwrap();
        assert_eq!(generation.len(), 32);
        assert_ne!(generation, new_generation().unwrap());
    }
}
