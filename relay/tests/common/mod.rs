//! Shared by the relay's integration tests: a relay on `127.0.0.1:0`, HTTPS test devices with
//! self-signed or CA-signed certificates, and a raw HTTP/1.1 client for paths that a URL
//! library would normalise before sending.
#![allow(dead_code)]

pub mod portal;
pub mod redis_server;
pub mod relay_process;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderMap;
use relay::AppState;
use relay::inventory::{DeviceConfig, Inventory, Timeouts};
use relay::trust::TrustPolicy;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use shared::wire::DeviceKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A relay serving on a loopback port; dropping it shuts it down.
pub struct Relay {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Relay {
    pub async fn start(state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(relay::serve(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            shutdown: Some(tx),
        }
    }

    /// A relay with default settings in front of `devices`.
    pub async fn with_devices(devices: Vec<DeviceConfig>) -> Self {
        Self::start(state(devices, Timeouts::default())).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A folder of its own under the temporary directory (`tokendeck-<name>-…`), removed with
/// everything in it when dropped.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("tokendeck-{name}-"))
        .tempdir()
        .unwrap()
}

pub fn state(devices: Vec<DeviceConfig>, timeouts: Timeouts) -> AppState {
    AppState::new(Inventory::new(devices, timeouts).unwrap(), None)
}

/// A plain HTTP client for talking to the relay (never through a proxy).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn device(id: &str, base_url: &str, trust: TrustPolicy) -> DeviceConfig {
    DeviceConfig {
        id: id.into(),
        name: format!("Test {id}"),
        kind: DeviceKind::Bigip,
        base_url: base_url.parse().unwrap(),
        trust,
        tofu: false,
    }
}

/// A device the operator opened to trust on first use (system roots until a user pins it).
pub fn tofu_device(id: &str, base_url: &str) -> DeviceConfig {
    DeviceConfig {
        tofu: true,
        ..device(id, base_url, TrustPolicy::Ca { roots_pem: None })
    }
}

pub fn sha256(der: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(der)))
}

/// A certificate and its key, for a test device.
pub struct TestCert {
    pub der: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub spki_fingerprint: String,
}

impl TestCert {
    pub fn fingerprint(&self) -> String {
        sha256(&self.der)
    }

    pub fn self_signed() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self::from_parts(cert.der().clone(), &key)
    }

    fn from_parts(der: CertificateDer<'static>, key: &rcgen::KeyPair) -> Self {
        use rcgen::PublicKeyData;
        Self {
            der,
            spki_fingerprint: sha256(&key.subject_public_key_info()),
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A test certificate authority.
pub struct TestCa {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Tokendeck test CA");
        let issuer =
            rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap())
                .unwrap();
        Self { issuer }
    }

    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf for `names`, signed by this CA.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let params = rcgen::CertificateParams::new(names).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        TestCert::from_parts(cert.der().clone(), &key)
    }
}

/// An HTTPS server on a loopback port; dropping it stops it.
pub struct TlsServer {
    pub addr: SocketAddr,
    handle: axum_server::Handle<SocketAddr>,
}

impl TlsServer {
    pub async fn start(cert: &TestCert, router: Router) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
            .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = axum_server::Handle::new();
        let tls = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
        let server = axum_server::from_tcp_rustls(listener, tls)
            .unwrap()
            .handle(handle.clone());
        tokio::spawn(server.serve(router.into_make_service()));
        Self { addr, handle }
    }

    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// What a recording device saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

/// A device that records every request and answers 200 `{"ok":true}` with `reply_headers`.
pub fn recording_router(reply_headers: Vec<(&'static str, &'static str)>) -> (Router, Log) {
    let log: Log = Arc::default();
    let seen = log.clone();
    let router = Router::new().fallback(move |request: Request| {
        let seen = seen.clone();
        let reply_headers = reply_headers.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            seen.lock().unwrap().push(Seen {
                method: parts.method.to_string(),
                path_and_query: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                headers: parts.headers,
                body: body.to_vec(),
            });
            let mut response = axum::response::Response::builder()
                .status(200)
                .header("content-type", "application/json");
            for (name, value) in reply_headers {
                response = response.header(name, value);
            }
            response
                .body(axum::body::Body::from("{\"ok\":true}"))
                .unwrap()
        }
    });
    (router, log)
}

/// A raw HTTP/1.1 exchange (`Connection: close`): the request target is sent byte for byte.
pub async fn raw(addr: SocketAddr, method: &str, target: &str, extra: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply))
        .await
        .expect("the relay answers")
        .unwrap();
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// The `code` of a relay error reply, asserting the marker header is present.
pub async fn relay_error_code(response: reqwest::Response) -> String {
    assert_eq!(
        response
            .headers()
            .get("x-tokendeck-relay-error")
            .map(|v| v.to_str().unwrap()),
        Some("1"),
        "a relay error carries the marker header"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    body["code"].as_str().unwrap().to_owned()
}

/// A device that speaks raw bytes over TLS (or over plain TCP), for faults no HTTP server
/// would produce: replies cut off, garbage, silence. Dropping it stops accepting.
pub struct RawDevice {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RawDevice {
    /// Each accepted connection completes a TLS handshake with `cert` and is handed to `serve`.
    pub async fn tls<F, Fut>(cert: &TestCert, serve: F) -> Self
    where
        F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut
            + Send
            + Sync
            + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let serve = Arc::new(serve);
        Self::tcp(move |stream| {
            let (acceptor, serve) = (acceptor.clone(), serve.clone());
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve(tls).await;
                }
            }
        })
        .await
    }

    /// Each accepted TCP connection is handed to `serve`.
    pub async fn tcp<F, Fut>(serve: F) -> Self
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream));
            }
        });
        Self { addr, task }
    }

    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for RawDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Read an HTTP/1.1 request head (up to the blank line) from `stream`.
pub async fn read_head<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A relay with `limits` and device `timeouts` in front of `devices`, with its shutdown handle.
pub async fn relay_with_limits(
    devices: Vec<DeviceConfig>,
    timeouts: Timeouts,
    limits: relay::config::Limits,
) -> Relay {
    Relay::start(state(devices, timeouts).with_limits(limits)).await
}

/// A healthy device (the recording router) and its inventory entry, to show that other devices
/// keep being served while one misbehaves.
pub async fn healthy_device(id: &str) -> (TlsServer, DeviceConfig) {
    let cert = TestCert::self_signed();
    let (router, _log) = recording_router(vec![]);
    let server = TlsServer::start(&cert, router).await;
    let config = device(
        id,
        &server.base_url(),
        TrustPolicy::pin(&cert.fingerprint()).unwrap(),
    );
    (server, config)
}

/// Call the healthy device `id` through `relay` a few times, each answered within a second.
pub async fn others_are_served(relay: &Relay, id: &str) {
    let http = client();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(2),
            http.get(relay.url(&format!("/api/devices/{id}/fwd/mgmt/tm/sys/version")))
                .send(),
        )
        .await
        .expect("the healthy device is served meanwhile")
        .unwrap();
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

/// `GET path` on the relay, as JSON.
pub async fn get_json(relay: &Relay, path: &str) -> serde_json::Value {
    json_at(&relay.url(path)).await
}

/// `GET url`, as JSON.
pub async fn json_at(url: &str) -> serde_json::Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A simulated BIG-IP (self-signed, demo accounts) on a loopback port.
pub async fn simulator() -> simulator::RunningDevice {
    simulator::start(
        DeviceKind::Bigip,
        "127.0.0.1:0".parse().unwrap(),
        simulator::SimConfig::default(),
    )
    .await
    .unwrap()
}

/// Everything a test's log subscriber wrote (`tracing_subscriber::fmt().with_writer(...)`).
#[derive(Clone, Default)]
pub struct CapturedLog(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The relay's metrics text.
pub async fn metrics(relay: &Relay) -> String {
    client()
        .get(relay.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
