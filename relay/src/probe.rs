//! Trust on first use: `POST /api/devices/{id}/probe` shows the certificate a device presents;
//! `POST /api/devices/{id}/trust` pins it once the user has checked the fingerprint.
//!
//! The probe only completes a TLS handshake (signatures verified, certificate recorded) and
//! sends nothing, so no credential ever crosses an unverified connection.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use rustls::pki_types::ServerName;
use shared::wire::{CertificateProbe, DeviceSummary, TrustRequest};
use tokio::net::TcpStream;

use crate::AppState;
use crate::error::RelayError;
use crate::inventory::{Device, InventoryError};
use crate::trust::{TrustPolicy, fingerprint, parse_fingerprint, spki_fingerprint};
use crate::verifier::CapturingVerifier;

/// Handshake with `device` and describe its certificate.
pub async fn probe_device(device: &Device, can_pin: bool) -> Result<CertificateProbe, RelayError> {
    let id = device.config.id.clone();
    let url = &device.config.base_url;
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let connect = device.timeouts.connect;
    let timeout = || RelayError::Timeout {
        device: id.clone(),
        ms: connect.as_millis(),
    };
    let bare_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<std::net::SocketAddr> = match bare_host.parse::<IpAddr>() {
        Ok(ip) => vec![(ip, port).into()],
        Err(_) => {
            tokio::time::timeout(connect, tokio::net::lookup_host((bare_host.as_str(), port)))
                .await
                .map_err(|_| timeout())?
                .map_err(|e| RelayError::DnsFailure {
                    device: id.clone(),
                    host: host.clone(),
                    detail: e.to_string(),
                })?
                .collect()
        }
    };
    let unreachable = |detail: String| RelayError::Unreachable {
        device: id.clone(),
        target: url.as_str().trim_end_matches('/').to_owned(),
        detail,
    };
    let stream = tokio::time::timeout(connect, TcpStream::connect(&addrs[..]))
        .await
        .map_err(|_| timeout())?
        .map_err(|e| unreachable(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(CapturingVerifier {
        provider: provider.clone(),
        chain: Mutex::new(Vec::new()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RelayError::Internal(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let server_name = ServerName::try_from(bare_host.clone())
        .map_err(|e| unreachable(format!("bad server name: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    tokio::time::timeout(connect, connector.connect(server_name, stream))
        .await
        .map_err(|_| timeout())?
        .map_err(|e| unreachable(format!("TLS handshake failed: {e}")))?;
    let chain = verifier
        .chain
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let leaf = chain
        .first()
        .ok_or_else(|| unreachable("the device presented no certificate".into()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).map_err(|e| {
        RelayError::UntrustedCertificate {
            device: id.clone(),
            detail: format!("its certificate does not parse: {e}"),
        }
    })?;
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
    let matches_pin = match &device.trust {
        TrustPolicy::Pin { sha256_hex } => {
            let pin = format!("sha256:{sha256_hex}");
            Some(pin == sha256_certificate || pin == sha256_public_key)
        }
        _ => None,
    };
    Ok(CertificateProbe {
        device: id,
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: rfc3339(cert.validity().not_before.timestamp()),
        not_after: rfc3339(cert.validity().not_after.timestamp()),
        subject_alt_names,
        sha256_certificate,
        sha256_public_key,
        chain_length: chain.len(),
        trust: device.trust.summary(),
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

/// `POST /api/devices/{id}/probe`.
pub async fn probe(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CertificateProbe>, RelayError> {
    let device = state
        .inventory
        .get(&id)
        .ok_or_else(|| RelayError::UnknownDevice(id.clone()))?;
    let can = state.inventory.can_pin(&device);
    Ok(Json(probe_device(&device, can).await?))
}

/// `POST /api/devices/{id}/trust`: pin what the device presents, if it is what the user checked.
pub async fn trust(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<TrustRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<DeviceSummary>, RelayError> {
    let Json(request) = body.map_err(|e| RelayError::BadRequest(e.body_text()))?;
    let device = state
        .inventory
        .get(&id)
        .ok_or_else(|| RelayError::UnknownDevice(id.clone()))?;
    if !state.inventory.allow_tofu() {
        return Err(RelayError::TofuDisabled(id));
    }
    if matches!(device.config.trust, TrustPolicy::Pin { .. }) {
        return Err(RelayError::TrustConflict {
            device: id,
            detail: "its pin is set in the relay's configuration; only the operator can change it"
                .into(),
        });
    }
    let wanted = parse_fingerprint(&request.fingerprint)
        .map(|hex| format!("sha256:{hex}"))
        .map_err(|e| RelayError::BadRequest(e.to_string()))?;
    let seen = probe_device(&device, true).await?;
    if wanted != seen.sha256_certificate && wanted != seen.sha256_public_key {
        return Err(RelayError::TrustConflict {
            device: id,
            detail: format!(
                "the device now presents {} (public key {}), not the {wanted} you checked. Probe it again and compare.",
                seen.sha256_certificate, seen.sha256_public_key
            ),
        });
    }
    let pinned = state.inventory.pin(&id, &wanted).map_err(|e| match e {
        InventoryError::OperatorPinned(_) => RelayError::TrustConflict {
            device: id.clone(),
            detail: e.to_string(),
        },
        other => RelayError::Internal(other.to_string()),
    })?;
    Ok(Json(state.inventory.summary(&pinned)))
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
