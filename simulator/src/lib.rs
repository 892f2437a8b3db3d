//! Simulated management APIs of F5 BIG-IP, F5 BIG-IQ and Cisco FMC, served over HTTPS with a
//! self-signed certificate generated at start-up.
//!
//! The library starts any device in-process (`start(kind, "127.0.0.1:0", config)`) and hands
//! back its address and certificate fingerprint; the `devsim` binary runs them standalone:
//!
//! ```text
//! cargo run -p simulator --bin devsim -- --bigip 127.0.0.1:8443 --bigiq 127.0.0.1:8444 --fmc 127.0.0.1:8445
//! ```
//!
//! State lives in memory behind per-table locks; every time rule reads the injected [`Clock`],
//! which tests advance by hand and demos speed up (`--clock-speed`).
//!
//! Code map: [`bigip`] (tokens, nodes, transactions), [`bigiq`] (JWT login and exchange),
//! [`fmc`] (token pairs, rate limit, host objects). Pure state machines (`*_store.rs`,
//! `node_table.rs`, `sessions.rs`, `rate_limit.rs`, `jwt.rs`) hold the rules; handlers parse,
//! call them and map errors to each device's error body. Request bodies pass through one
//! bounded, content-type-checking reader (`payload.rs`), so bad input always gets the device's
//! error shape.

mod basic;
pub mod bigip;
pub mod bigiq;
pub mod clock;
mod f5_extract;
pub mod fmc;
mod paths;
mod payload;
mod peer;
pub mod rest_error;
pub mod tls;
pub mod users;

use std::net::SocketAddr;

use axum::Router;
use shared::wire::DeviceKind;

pub use clock::Clock;
pub use tls::DeviceCertificate;
pub use users::{Role, User};

/// What every simulated device is configured with.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub users: Vec<User>,
    pub clock: Clock,
    /// Remote login providers (LDAP, RADIUS, …) a BIG-IP or BIG-IQ accepts besides its local
    /// one. Their users are looked up in `users`, like local ones.
    pub remote_providers: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            users: users::default_users(),
            clock: Clock::system(),
            remote_providers: Vec::new(),
        }
    }
}

/// A simulated device serving HTTPS on a loopback socket.
pub struct RunningDevice {
    pub kind: DeviceKind,
    pub addr: SocketAddr,
    /// `sha256:<hex>` of the certificate the device presents.
    pub fingerprint: String,
    pub cert_pem: String,
    handle: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningDevice {
    /// `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Stop serving and wait for the listener to close.
    pub async fn shutdown(mut self) {
        self.handle.shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningDevice {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Build the HTTP routes of one kind of device.
pub fn device_router(kind: DeviceKind, config: &SimConfig) -> anyhow::Result<Router> {
    match kind {
        DeviceKind::Bigip => Ok(bigip::router(bigip::BigIp::new(config.clone()))),
        DeviceKind::Bigiq => Ok(bigiq::router(bigiq::BigIq::new(config.clone()))),
        DeviceKind::Fmc => Ok(fmc::router(fmc::Fmc::new(config.clone()))),
    }
}

/// Start a device of `kind` on `addr` (use port 0 for an ephemeral port) with a freshly
/// generated self-signed certificate.
pub async fn start(
    kind: DeviceKind,
    addr: SocketAddr,
    config: SimConfig,
) -> anyhow::Result<RunningDevice> {
    // Log the method and path only: queries may carry secrets, and in tests the relay's
    // no-secrets-in-logs check shares this process's log.
    let router = device_router(kind, &config)?.layer(
        tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                tracing::debug_span!("device_request", method = %request.method(), path = %request.uri().path())
            },
        ),
    );
    let cert = DeviceCertificate::generate(&format!("{} simulator", kind.label()))?;
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(cert.server_config.clone());
    let server = axum_server::from_tcp_rustls(listener, tls)?.handle(handle.clone());
    let task =
        tokio::spawn(server.serve(router.into_make_service_with_connect_info::<SocketAddr>()));
    Ok(RunningDevice {
        kind,
        addr,
        fingerprint: cert.fingerprint(),
        cert_pem: cert.cert_pem,
        handle,
        task: Some(task),
    })
}
