//! How the simulated devices serve: bounded under abuse (timeouts, connection cap, shutdown
//! deadline), HTTP/1 keep-alive held under load, and every reply dated by the device's clock.
//! These tests run on real time with short limits: they watch the server's own timers.

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod date;
mod devsim;
mod keep_alive;

use std::time::Duration;

use simulator::ServerLimits;

/// Limits short enough to watch each one act in a test.
pub fn quick_limits() -> ServerLimits {
    ServerLimits {
        tls_handshake: Duration::from_secs(1),
        header_read: Duration::from_secs(1),
        body_read: Duration::from_secs(1),
        idle_keep_alive: Duration::from_secs(1),
        max_connections: 8,
        shutdown_grace: Duration::from_secs(1),
        ..ServerLimits::default()
    }
}
