//! Per-device TLS trust: a CA, a pinned certificate fingerprint, or explicit insecurity.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use shared::device::TrustSummary;

/// How the relay decides whether a device's certificate is the device's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustPolicy {
    /// Verify the chain against the given PEM roots, or the system roots when `None`.
    Ca { roots_pem: Option<String> },
    /// Accept exactly the certificate whose SHA-256 is this (lowercase hex, no prefix).
    Pin { sha256_hex: String },
    /// Accept any certificate. Only by explicit operator choice.
    Insecure,
}

impl TrustPolicy {
    /// Parse `sha256:<hex>` (colons inside the hex are tolerated, as browsers show them).
    pub fn pin(fingerprint: &str) -> Result<Self, String> {
        let hex_part = fingerprint
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("pin {fingerprint:?} must start with sha256:"))?;
        let hex_part: String = hex_part
            .chars()
            .filter(|c| *c != ':')
            .collect::<String>()
            .to_ascii_lowercase();
        if hex_part.len() != 64 || !hex_part.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!(
                "pin {fingerprint:?} must be sha256: followed by 64 hex digits"
            ));
        }
        Ok(TrustPolicy::Pin {
            sha256_hex: hex_part,
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

    /// The rustls client configuration that enforces this policy.
    pub fn client_config(&self) -> anyhow::Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?;
        let config = match self {
            TrustPolicy::Ca { roots_pem } => {
                let mut roots = rustls::RootCertStore::empty();
                match roots_pem {
                    Some(pem) => {
                        for cert in
                            rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes())
                        {
                            roots.add(cert?)?;
                        }
                    }
                    None => {
                        let native = rustls_native_certs::load_native_certs();
                        roots.add_parsable_certificates(native.certs);
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            TrustPolicy::Pin { sha256_hex } => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinVerifier {
                    sha256_hex: sha256_hex.clone(),
                    provider,
                }))
                .with_no_client_auth(),
            TrustPolicy::Insecure => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate { provider }))
                .with_no_client_auth(),
        };
        Ok(config)
    }
}

/// `sha256:<hex>` of a DER certificate.
pub fn fingerprint(cert: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(cert)))
}

/// The device presented a certificate other than the pinned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMismatch {
    pub expected: String,
    pub presented: String,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate fingerprint {} does not match the pinned {}",
            self.presented, self.expected
        )
    }
}

impl std::error::Error for PinMismatch {}

/// Accepts exactly one leaf certificate; handshake signatures are still verified.
#[derive(Debug)]
struct PinVerifier {
    sha256_hex: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = hex::encode(Sha256::digest(end_entity.as_ref()));
        if presented == self.sha256_hex {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                    expected: format!("sha256:{}", self.sha256_hex),
                    presented: format!("sha256:{presented}"),
                }))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The explicit `insecure = true` policy: any certificate, signatures still checked.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Find a pin mismatch anywhere in an error's source chain (including inside `io::Error`s,
/// whose `source()` skips the wrapped error itself).
pub fn find_pin_mismatch(err: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = as_pin_mismatch(e) {
            return Some(found);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| as_pin_mismatch(inner))
        {
            return Some(inner);
        }
        current = e.source();
    }
    None
}

fn as_pin_mismatch(e: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    if let Some(found) = e.downcast_ref::<PinMismatch>() {
        return Some(found.clone());
    }
    match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            other.0.downcast_ref::<PinMismatch>().cloned()
        }
        _ => None,
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

    #[test]
    fn finds_a_mismatch_wrapped_in_io_error() {
        let mismatch = PinMismatch {
            expected: "sha256:aa".into(),
            presented: "sha256:bb".into(),
        };
        let rustls_err = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(mismatch.clone())),
        ));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls_err);
        assert_eq!(find_pin_mismatch(&io), Some(mismatch));
    }
}
