//! What a device presents: a TLS handshake (signatures verified, certificate recorded) that
//! sends nothing, so no credential ever crosses an unverified connection. The routes use it for
//! trust on first use (`POST /api/devices/{id}/probe` and `/trust`).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use shared::wire::CertificateProbe;
use tokio::net::TcpStream;

use super::fingerprint::{fingerprint, spki_fingerprint};
use super::policy::TrustPolicy;
use super::tls;
use super::verifier::CapturingVerifier;

/// Why a probe found no certificate to show.
#[derive(Debug, thiserror::Error)]
pub enum ProbeFailure {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("TCP connect failed: {0}")]
    Connect(#[source] std::io::Error),
    #[error("TLS handshake failed: {0}")]
    Handshake(#[source] std::io::Error),
    #[error("{0:?} is not a usable TLS server name")]
    ServerName(String),
    #[error("the device presented no certificate")]
    NoCertificate,
    #[error("its certificate does not parse: {0}")]
    Unparsable(String),
    #[error("TLS configuration failed: {0}")]
    Tls(#[from] rustls::Error),
}

/// A probe of one device that failed.
#[derive(Debug, thiserror::Error)]
#[error("probing {device} at {target}: {failure}")]
pub struct ProbeError {
    pub device: String,
    /// The host probed.
    pub target: String,
    #[source]
    pub failure: ProbeFailure,
}

/// Handshake with `host` at one of `addrs` and return the chain it presents (leaf first).
pub async fn presented_chain(
    device: &str,
    host: &str,
    addrs: &[SocketAddr],
    connect_timeout: Duration,
) -> Result<Vec<CertificateDer<'static>>, ProbeError> {
    let fail = |failure| ProbeError {
        device: device.to_owned(),
        target: host.to_owned(),
        failure,
    };
    let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(addrs))
        .await
        .map_err(|_| fail(ProbeFailure::Timeout(connect_timeout)))?
        .map_err(|e| fail(ProbeFailure::Connect(e)))?;
    let verifier = Arc::new(CapturingVerifier {
        provider: tls::provider(),
        chain: Mutex::new(Vec::new()),
    });
    let config = tls::client_config(verifier.clone()).map_err(|e| fail(e.into()))?;
    let server_name = url::Host::parse(host)
        .ok()
        .and_then(|host| tls::server_name(&host))
        .ok_or_else(|| fail(ProbeFailure::ServerName(host.to_owned())))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    tokio::time::timeout(connect_timeout, connector.connect(server_name, stream))
        .await
        .map_err(|_| fail(ProbeFailure::Timeout(connect_timeout)))?
        .map_err(|e| fail(ProbeFailure::Handshake(e)))?;
    let chain = verifier
        .chain
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if chain.is_empty() {
        return Err(fail(ProbeFailure::NoCertificate));
    }
    Ok(chain)
}

/// Describe the leaf of `chain` for the app; `policy` is the trust in force for the device.
pub fn describe(
    device: &str,
    chain: &[CertificateDer<'static>],
    policy: &TrustPolicy,
    can_pin: bool,
) -> Result<CertificateProbe, ProbeError> {
    let fail = |failure| ProbeError {
        device: device.to_owned(),
        target: String::new(),
        failure,
    };
    let leaf = chain
        .first()
        .ok_or_else(|| fail(ProbeFailure::NoCertificate))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| fail(ProbeFailure::Unparsable(e.to_string())))?;
    let sha256_certificate = fingerprint(leaf.as_ref());
    let sha256_public_key = spki_fingerprint(leaf.as_ref()).unwrap_or_default();
    let subject_alt_names = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => Some(format!("DNS:{dns}")),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    ip_from_bytes(bytes).map(|ip| format!("IP:{ip}"))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let matches_pin = match policy {
        TrustPolicy::Pin { sha256_hex } => {
            let pin = format!("sha256:{sha256_hex}");
            Some(pin == sha256_certificate || pin == sha256_public_key)
        }
        _ => None,
    };
    Ok(CertificateProbe {
        device: device.to_owned(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        subject_alt_names,
        sha256_certificate,
        sha256_public_key,
        chain_length: chain.len(),
        trust: policy.summary(),
        matches_pin,
        can_pin,
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (civil-from-days, proleptic Gregorian).
pub fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_times_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
