//! A device's trust policy and the rustls client configuration that enforces it.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use shared::wire::TrustSummary;

use super::fingerprint::{BadFingerprint, parse_fingerprint};
use super::tls;
use super::verifier::{AnyCertificate, PinVerifier};

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
    #[error(transparent)]
    BadPin(#[from] BadFingerprint),
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

    /// `sha256:<hex>` of a pin policy.
    pub fn pinned(&self) -> Option<String> {
        match self {
            TrustPolicy::Pin { sha256_hex } => Some(format!("sha256:{sha256_hex}")),
            _ => None,
        }
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

    /// The verifier that enforces this policy.
    pub fn verifier(&self) -> Result<Arc<dyn ServerCertVerifier>, TrustError> {
        let provider = tls::provider();
        Ok(match self {
            TrustPolicy::Ca { roots_pem } => {
                let roots = match roots_pem {
                    Some(pem) => Arc::new(tls::pem_roots(pem).map_err(TrustError::BadRoots)?),
                    None => tls::system_roots(),
                };
                if roots.is_empty() {
                    return Err(TrustError::BadRoots("no certificates found".into()));
                }
                WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| TrustError::BadRoots(e.to_string()))?
            }
            TrustPolicy::Pin { sha256_hex } => Arc::new(PinVerifier {
                sha256_hex: sha256_hex.clone(),
                provider,
            }),
            TrustPolicy::Insecure => Arc::new(AnyCertificate { provider }),
        })
    }

    /// The rustls client configuration that enforces this policy (`super::tls`'s, over
    /// [`Self::verifier`]).
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TrustError> {
        Ok(tls::client_config(self.verifier()?)?)
    }
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
}
