//! Every TLS client the relay opens (a device's pool, a probe) is configured here: the one
//! crypto provider (ring; no other is compiled in), the system roots read once, safe default
//! protocol versions, no client certificate, HTTP/1.1 offered by ALPN, and the server name a
//! device's URL host stands for. So a probe's handshake is the one the pool makes later.

use std::sync::{Arc, LazyLock};

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use url::Host;

/// The relay's crypto provider, made once.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: LazyLock<Arc<CryptoProvider>> =
        LazyLock::new(|| Arc::new(rustls::crypto::ring::default_provider()));
    PROVIDER.clone()
}

/// The system's root certificates, read the first time a device needs them and kept: building
/// a device (an ad-hoc one, inside a call; one whose pin changed) never reads the disk again.
/// Empty when the system has none the relay can parse.
pub fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: LazyLock<Arc<RootCertStore>> = LazyLock::new(|| {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        Arc::new(roots)
    });
    ROOTS.clone()
}

/// Roots from a PEM bundle.
pub fn pem_roots(pem: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| e.to_string())?;
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    Ok(roots)
}

/// A client configuration that trusts what `verifier` accepts.
pub fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, rustls::Error> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The TLS server name of a URL's host: a name as it is, an address as an address.
pub fn server_name<S: AsRef<str>>(host: &Host<S>) -> Option<ServerName<'static>> {
    match host {
        Host::Domain(name) => ServerName::try_from(name.as_ref().to_owned()).ok(),
        Host::Ipv4(ip) => Some(ServerName::IpAddress((*ip).into())),
        Host::Ipv6(ip) => Some(ServerName::IpAddress((*ip).into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::TrustPolicy;

    #[test]
    fn every_client_offers_http_1_1_and_shares_one_provider() {
        let config = TrustPolicy::Insecure.client_config().unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        assert!(Arc::ptr_eq(&provider(), &provider()));
        assert!(Arc::ptr_eq(&system_roots(), &system_roots()), "read once");
    }

    #[test]
    fn server_names_from_url_hosts() {
        let name = |url: &str| {
            let url = url::Url::parse(url).unwrap();
            server_name(&url.host().unwrap()).map(|n| n.to_str().into_owned())
        };
        assert_eq!(
            name("https://device.lab.example/").as_deref(),
            Some("device.lab.example")
        );
        assert_eq!(name("https://10.1.1.5:8443/").as_deref(), Some("10.1.1.5"));
        assert_eq!(
            name("https://[2001:db8::1]/").as_deref(),
            Some("2001:db8::1")
        );
    }

    #[test]
    fn pem_bundles_must_parse() {
        assert!(pem_roots("").unwrap().is_empty());
        assert!(
            pem_roots("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
                .is_err()
        );
    }
}
