//! The rustls certificate verifiers behind [`super::TrustPolicy`]. Every one of them
//! still verifies the handshake signature, so a peer must hold the key of the certificate it
//! presents.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::fingerprint::{fingerprint, spki_fingerprint};
use crate::causes;

/// The device presented a certificate other than the pinned one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinMismatch {
    /// The pin, `sha256:<hex>` (of a certificate or of a public key).
    pub expected: String,
    /// `sha256:<hex>` of the presented certificate.
    pub presented: String,
    /// `sha256:<hex>` of the presented public key.
    pub presented_spki: String,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate {} (public key {}) does not match the pinned {}",
            self.presented, self.presented_spki, self.expected
        )
    }
}

impl std::error::Error for PinMismatch {}

macro_rules! verify_signatures_with_provider {
    () => {
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
    };
}

/// Accepts exactly one leaf certificate or public key.
#[derive(Debug)]
pub(crate) struct PinVerifier {
    pub sha256_hex: String,
    pub provider: Arc<CryptoProvider>,
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
        let pinned = format!("sha256:{}", self.sha256_hex);
        let presented = fingerprint(end_entity.as_ref());
        if presented == pinned {
            return Ok(ServerCertVerified::assertion());
        }
        let presented_spki = spki_fingerprint(end_entity.as_ref())
            .unwrap_or_else(|| "(unparsable certificate)".into());
        if presented_spki == pinned {
            return Ok(ServerCertVerified::assertion());
        }
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                expected: pinned,
                presented,
                presented_spki,
            }))),
        ))
    }

    verify_signatures_with_provider!();
}

/// The explicit `insecure = true` policy: any certificate, signatures still checked.
#[derive(Debug)]
pub(crate) struct AnyCertificate {
    pub provider: Arc<CryptoProvider>,
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

    verify_signatures_with_provider!();
}

/// Used only by the probe: accepts any certificate (the probe never sends a request) and
/// records the chain the device presented.
#[derive(Debug)]
pub(crate) struct CapturingVerifier {
    pub provider: Arc<CryptoProvider>,
    pub chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        chain.clear();
        chain.push(end_entity.clone().into_owned());
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        Ok(ServerCertVerified::assertion())
    }

    verify_signatures_with_provider!();
}

/// Find a pin mismatch anywhere in an error's source chain, including inside (nested)
/// `io::Error`s, whose `source()` skips the error they wrap.
pub fn find_pin_mismatch(err: &(dyn std::error::Error + 'static)) -> Option<PinMismatch> {
    causes::causes(err).into_iter().find_map(as_pin_mismatch)
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

/// Why a device's certificate was refused, in words a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Signed by an authority the policy does not trust (self-signed certificates land here).
    UnknownIssuer,
    /// Issued for another host name or address.
    WrongName,
    Expired,
    NotYetValid,
    Revoked,
    /// Anything else rustls refuses (bad encoding, bad signature, wrong usage).
    Invalid,
}

impl CertificateProblem {
    /// What is wrong, as the end of a sentence ("its certificate …").
    pub fn describe(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer => {
                "is signed by an authority the relay does not trust (a self-signed certificate?)"
            }
            CertificateProblem::WrongName => {
                "was issued for another name than the device's address"
            }
            CertificateProblem::Expired => "has expired",
            CertificateProblem::NotYetValid => "is not valid yet (check the clocks)",
            CertificateProblem::Revoked => "has been revoked",
            CertificateProblem::Invalid => "is not acceptable to the relay",
        }
    }
}

/// The certificate problem anywhere in an error's causes (a pin mismatch is not one of them:
/// see [`find_pin_mismatch`]).
pub fn certificate_problem(err: &(dyn std::error::Error + 'static)) -> Option<CertificateProblem> {
    use rustls::CertificateError as C;
    causes::causes(err).into_iter().find_map(|e| {
        let rustls::Error::InvalidCertificate(cert) = e.downcast_ref::<rustls::Error>()? else {
            return None;
        };
        Some(match cert {
            C::UnknownIssuer => CertificateProblem::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => CertificateProblem::WrongName,
            C::Expired | C::ExpiredContext { .. } => CertificateProblem::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => CertificateProblem::NotYetValid,
            C::Revoked => CertificateProblem::Revoked,
            C::Other(other) if other.0.downcast_ref::<PinMismatch>().is_some() => return None,
            _ => CertificateProblem::Invalid,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_mismatch_wrapped_in_io_error() {
        let mismatch = PinMismatch {
            expected: "sha256:aa".into(),
            presented: "sha256:bb".into(),
            presented_spki: "sha256:cc".into(),
        };
        let rustls_err = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(mismatch.clone())),
        ));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls_err);
        let outer = std::io::Error::other(io);
        assert_eq!(find_pin_mismatch(&outer), Some(mismatch));
        assert_eq!(certificate_problem(&outer), None);
    }

    #[test]
    fn reads_certificate_problems_by_kind() {
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, unknown);
        assert_eq!(
            certificate_problem(&io),
            Some(CertificateProblem::UnknownIssuer)
        );
        let io = std::io::Error::other("plain");
        assert_eq!(certificate_problem(&io), None);
    }
}
