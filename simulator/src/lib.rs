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
//! Code map: [`bigip`] (tokens, nodes, transactions), [`bigiq`] (JWT login, exchange, token
//! deletion, device endpoints), [`fmc`] (token pairs, session takeover, rate limit, domains,
//! devices, host objects). A kind's `mod.rs` declares its children and builds its device
//! (`device(config)`: the routes and how it takes requests); its state is `state.rs`. Pure
//! state machines (`*_store.rs`, `node_table.rs`, `sessions.rs`, `rate_limit.rs`, `jwt.rs`)
//! hold the rules; handlers parse, call them and map errors to each device's error body. No
//! kind's folder uses another's. [`device_router`] matches on the kind once and puts the
//! kind's routes behind its guard (`guard.rs`: `Date` from the device clock, the cap on
//! requests in progress, the body read whole within its timeout and size cap); [`server`]
//! serves them over TLS with a handshake timeout, header-read and idle keep-alive timeouts, a
//! connection cap and a shutdown deadline ([`ServerLimits`]). [`parsing`] gathers the pure
//! request-parsing functions for property tests and fuzz targets.

mod basic;
pub mod bigip;
pub mod bigiq;
pub mod clock;
mod config;
mod f5_echo;
mod f5_extract;
pub mod fmc;
mod guard;
mod name_uuid;
mod origin;
pub mod parsing;
mod paths;
mod payload;
mod peer;
mod query;
pub mod rest_error;
pub mod server;
pub mod tls;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use shared::wire::DeviceKind;
use tokio::sync::watch;

pub use clock::Clock;
pub use config::SimConfig;
pub use server::{ConnectionStats, ServerLimits};
pub use tls::DeviceCertificate;
pub use users::{Role, User};

/// A simulated device serving HTTPS on a loopback socket. Dropping it stops the device.
pub struct RunningDevice {
    pub kind: DeviceKind,
    pub addr: SocketAddr,
    /// `sha256:<hex>` of the certificate the device presents.
    pub fingerprint: String,
    pub cert_pem: String,
    connections: Arc<ConnectionStats>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningDevice {
    /// `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// How many connections the device has accepted and has open.
    pub fn connections(&self) -> &ConnectionStats {
        &self.connections
    }

    /// Stop accepting, let requests in progress finish within the configured
    /// `limits.shutdown_grace`, then drop every connection. Returns when the device is down.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningDevice {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Build the HTTP routes of one kind of device, behind that kind's guard (the `Date` header,
/// the cap on requests in progress, the body size cap and body-read timeout).
pub fn device_router(kind: DeviceKind, config: &SimConfig) -> anyhow::Result<Router> {
    let (routes, guard) = match kind {
        DeviceKind::Bigip => bigip::device(config),
        DeviceKind::Bigiq => bigiq::device(config),
        DeviceKind::Fmc => fmc::device(config),
    };
    Ok(guard::guarded(
        routes,
        guard,
        config.limits.body_read,
        config.clock.clone(),
    ))
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
    let label = shared::devices::profile(kind).label;
    let cert = DeviceCertificate::generate(&format!("{label} simulator"))?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let connections = Arc::new(ConnectionStats::default());
    let (shutdown, stop) = watch::channel(false);
    let task = tokio::spawn(server::serve(
        listener,
        cert.server_config.clone(),
        router,
        config.limits.clone(),
        Arc::clone(&connections),
        stop,
    ));
    Ok(RunningDevice {
        kind,
        addr,
        fingerprint: cert.fingerprint(),
        cert_pem: cert.cert_pem,
        connections,
        shutdown,
        task: Some(task),
    })
}
