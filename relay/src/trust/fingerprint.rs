//! SHA-256 fingerprints of certificates and of their public keys, as `sha256:<hex>`.

use sha2::{Digest, Sha256};

/// A pin that is not `sha256:` and 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pin {0:?} must be sha256: followed by 64 hex digits (colons allowed)")]
pub struct BadFingerprint(pub String);

/// Lowercase hex of a `sha256:<hex>` fingerprint (colons and upper case tolerated).
pub fn parse_fingerprint(fingerprint: &str) -> Result<String, BadFingerprint> {
    let bad = || BadFingerprint(fingerprint.to_owned());
    let hex_part = fingerprint.trim().strip_prefix("sha256:").ok_or_else(bad)?;
    let hex_part: String = hex_part
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if hex_part.len() != 64 || !hex_part.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(hex_part)
}

/// `sha256:<hex>` of a DER certificate.
pub fn fingerprint(cert: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(cert)))
}

/// `sha256:<hex>` of a DER certificate's SubjectPublicKeyInfo, or `None` if it does not parse.
pub fn spki_fingerprint(cert: &[u8]) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert).ok()?;
    Some(fingerprint(parsed.tbs_certificate.subject_pki.raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_fingerprint_differs_from_the_certificate_fingerprint() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let spki = spki_fingerprint(cert.der()).unwrap();
        use rcgen::PublicKeyData;
        assert_eq!(spki, fingerprint(&key.subject_public_key_info()));
        assert_ne!(spki, fingerprint(cert.der()));
    }

    #[test]
    fn parses_with_or_without_colons() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_fingerprint(&format!("sha256:{hex}")).unwrap(), hex);
        assert!(parse_fingerprint("md5:abcd").is_err());
        assert!(parse_fingerprint("sha256:abcd").is_err());
    }
}
