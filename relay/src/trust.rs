//! Per-device TLS trust: a CA, a pinned certificate or public-key fingerprint, or explicit
//! insecurity. The rustls verifiers that enforce them live in [`crate::verifier`].

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use sha2::{Digest, Sha256};
use shared::wire::TrustSummary;

use crate::verifier::{AnyCertificate, CountingVerifier, PinVerifier};
pub use crate::verifier::{PinMismatch, find_pin_mismatch};

/// How the relay decides whether a device's certificate is the device's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustPolicy {
    /// Verify the chain against the given PEM roots, or the system roots when `None`.
    Ca { roots_pem: Option<String> },
    /// Accept exactly the leaf certificate, or the public key (SPKI), whose SHA-256 is this
    /// (lowercase hex, no prefix). Handshake signatures are still verified.
    Pin { sha256_hex: String },
    /// Accept any certificate. Only by explicit operator choice.
    Insecure,
}

/// Why a trust policy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("pin {0:?} must be sha256: followed by 64 hex digits (colons allowed)")]
    BadPin(String),
    #[error("the CA bundle has no usable certificate: {0}")]
    BadRoots(String),
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
}

impl TrustPolicy {
    /// Parse `sha256:<hex>` (colons inside the hex are tolerated, as browsers show them).
    pub fn pin(fingerprint: &str) -> Result<Self, TrustError> {
        Ok(TrustPolicy::Pin {
            sha256_hex: parse_fingerprint(fingerprint)?,
        })
    }

    /// What the app is told about this policy.
    pub fn summary(&self) -> TrustSummary {
        match self {
            TrustPolicy::Ca { .. } => TrustSummary::Ca,
            TrustPolicy::Pin { sha256_hex } => TrustSummary::Pin {
                fingerprint: format!("sha256:{sha256_hex}"),
            },
            TrustPolicy::Insecure => TrustSummary::Insecure,
        }
    }

    /// The rustls client configuration that enforces this policy. `handshakes` counts full
    /// certificate verifications, i.e. new TLS connections (for the pool-reuse metric).
    pub fn client_config(
        &self,
        handshakes: Arc<AtomicU64>,
    ) -> Result<rustls::ClientConfig, TrustError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner: Arc<dyn ServerCertVerifier> = match self {
            TrustPolicy::Ca { roots_pem } => {
                let mut roots = rustls::RootCertStore::empty();
                match roots_pem {
                    Some(pem) => {
                        for cert in
                            rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes())
                        {
                            let cert = cert.map_err(|e| TrustError::BadRoots(e.to_string()))?;
                            roots.add(cert)?;
                        }
                    }
                    None => {
                        let native = rustls_native_certs::load_native_certs();
                        roots.add_parsable_certificates(native.certs);
                    }
                }
                if roots.is_empty() {
                    return Err(TrustError::BadRoots("no certificates found".into()));
                }
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| TrustError::BadRoots(e.to_string()))?
            }
            TrustPolicy::Pin { sha256_hex } => Arc::new(PinVerifier {
                sha256_hex: sha256_hex.clone(),
                provider: provider.clone(),
            }),
            TrustPolicy::Insecure => Arc::new(AnyCertificate {
                provider: provider.clone(),
            }),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(CountingVerifier {
                inner,
                count: handshakes,
            }))
            .with_no_client_auth();
        Ok(config)
    }
}

/// Lowercase hex of a `sha256:<hex>` fingerprint (colons and upper case tolerated).
pub fn parse_fingerprint(fingerprint: &str) -> Result<String, TrustError> {
    let bad = || TrustError::BadPin(fingerprint.to_owned());
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
    fn parses_pins_with_or_without_colons() {
        let hex = "ab".repeat(32);
        let colons = hex
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(
            TrustPolicy::pin(&format!("sha256:{colons}")).unwrap(),
            TrustPolicy::Pin { sha256_hex: hex }
        );
        assert!(TrustPolicy::pin("md5:abcd").is_err());
        assert!(TrustPolicy::pin("sha256:abcd").is_err());
    }

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
}
