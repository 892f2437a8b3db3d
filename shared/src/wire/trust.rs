//! Trust on first use: what `POST /api/devices/{id}/probe` answers and what
//! `POST /api/devices/{id}/trust` takes.

use serde::{Deserialize, Serialize};

use super::TrustSummary;

/// The certificate a device presented to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateProbe {
    pub device: String,
    pub subject: String,
    pub issuer: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// `DNS:name` and `IP:address` entries.
    pub subject_alt_names: Vec<String>,
    /// `sha256:<hex>` of the leaf certificate.
    pub sha256_certificate: String,
    /// `sha256:<hex>` of the leaf's SubjectPublicKeyInfo (survives re-issuing with the same key).
    pub sha256_public_key: String,
    /// Certificates in the chain the device sent (leaf included).
    pub chain_length: usize,
    /// The policy currently in force for the device.
    pub trust: TrustSummary,
    /// With a pin in force: does the presented certificate match it?
    pub matches_pin: Option<bool>,
    /// May a user pin this device now (trust on first use allowed, not pinned by the operator)?
    pub can_pin: bool,
}

/// Body of `POST /api/devices/{id}/trust`: the fingerprint the user checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRequest {
    /// `sha256:<hex>` of the certificate or of its public key, as shown by the probe.
    pub fingerprint: String,
}

/// `sha256:abcd…` as `openssl x509 -fingerprint -sha256` prints it (`AB:CD:…`), so a user can
/// compare it with what the device shows.
pub fn openssl_style(fingerprint: &str) -> String {
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(fingerprint);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_like_openssl() {
        assert_eq!(openssl_style("sha256:ab01ff"), "AB:01:FF");
        assert_eq!(openssl_style("0a"), "0A");
    }
}
