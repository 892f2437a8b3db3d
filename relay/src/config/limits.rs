//! `[limits]`: how much the relay accepts from its clients and how long it waits for them, so
//! that slow or greedy clients cost bounded memory, connections and time.

use std::time::Duration;

/// Default largest request body forwarded: a bound on what one call may stream through the
/// relay, whatever the device. A kind whose devices accept less says so in its profile
/// (`shared::devices::Profile::max_body_bytes`), and its devices get that smaller cap.
pub const DEFAULT_MAX_BODY: usize = 2_048_000;

/// The relay's own bounds as a server (the device side is [`crate::inventory::Timeouts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// From the moment the relay waits for a request (on a new or a kept-alive connection)
    /// until its headers are complete; an idle keep-alive connection is closed after this.
    pub header_read_timeout: Duration,
    /// The whole request body must arrive within this.
    pub body_read_timeout: Duration,
    /// A connection whose client stops reading the reply for this long is closed.
    pub send_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one client (an address, an IPv6 /64) may hold; further ones are refused
    /// at once (`503`, closed). Connections from `trusted_proxies` are not counted here: their
    /// clients are counted per request.
    pub max_connections_per_client: usize,
    /// Requests handled at once; further ones get `503 overloaded` with `Retry-After`.
    pub max_in_flight: usize,
    /// Requests one client (behind trusted proxies, the client they name) may have in
    /// progress at once; further ones get `503 overloaded` with `Retry-After`.
    pub max_in_flight_per_client: usize,
    /// After a shutdown signal, requests still running after this are cut off.
    pub shutdown_deadline: Duration,
    /// After SIGTERM, `/readyz` fails at once but the relay keeps serving this long, so the
    /// load balancer stops sending before it stops accepting.
    pub drain_delay: Duration,
    /// Largest request body forwarded to any device (a device whose kind accepts less gets
    /// less: `crate::inventory::Device::max_body`).
    pub max_body: usize,
    /// Largest device reply passed back.
    pub max_reply: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            max_connections: 512,
            max_connections_per_client: 256,
            max_in_flight: 256,
            max_in_flight_per_client: 128,
            shutdown_deadline: Duration::from_secs(10),
            drain_delay: Duration::from_secs(5),
            max_body: DEFAULT_MAX_BODY,
            max_reply: 64 * 1024 * 1024,
        }
    }
}
