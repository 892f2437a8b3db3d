//! A fresh self-signed certificate for each simulated device, and its fingerprint.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A generated certificate and the server configuration that presents it.
pub struct DeviceCertificate {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

impl DeviceCertificate {
    /// Generate a self-signed certificate for `localhost` and `127.0.0.1`.
    pub fn generate(common_name: &str) -> anyhow::Result<Self> {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Tokendeck simulator");
        let key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let cert_der = cert.der().clone();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der.clone()], key_der)?;
        server_config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der,
            server_config: Arc::new(server_config),
        })
    }

    /// `sha256:<hex>` of the DER certificate, the form the relay pins.
    pub fn fingerprint(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(&self.cert_der)))
    }
}
