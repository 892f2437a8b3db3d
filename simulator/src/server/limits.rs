//! How long a client may take and how much it may hold on one simulated device.

use std::time::Duration;

/// The bounds every simulated device serves under, so that no client — slow, idle or
/// hostile — can hold it forever or exhaust it. The defaults are generous for real clients
/// and tests hand in small values to watch each bound act.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// A TLS handshake must finish within this long after the TCP connection is accepted.
    pub tls_handshake: Duration,
    /// A request's head (request line and headers) must be complete within this long of the
    /// connection becoming ready for it — accepted, or done with the previous reply. Trickled
    /// headers are cut off here. (HTTP/1; an HTTP/2 client's headers are bounded by
    /// `idle_keep_alive`, as no request has started yet.)
    pub header_read: Duration,
    /// A request body must arrive in full within this long of the head; otherwise the device
    /// answers 408 and closes the connection.
    pub body_read: Duration,
    /// A connection with no request in progress is closed after this long without a new one.
    pub idle_keep_alive: Duration,
    /// At most this many connections are open at once; further clients wait in the listen
    /// backlog until one closes (the idle and header timeouts make sure one does).
    pub max_connections: usize,
    /// At most this many requests are in progress at once on the device (its bodies are
    /// buffered, so this and the body size cap bound the memory requests can hold). Further
    /// requests are refused at once: 503 on BIG-IP and BIG-IQ; FMC's own cap of 10 is lower
    /// and answers 429.
    pub max_requests_in_flight: usize,
    /// HTTP/2 streams one connection may have open at once.
    pub max_streams_per_connection: u32,
    /// On shutdown, requests in progress get this long to finish; then every connection is
    /// dropped.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            tls_handshake: Duration::from_secs(10),
            header_read: Duration::from_secs(20),
            body_read: Duration::from_secs(30),
            idle_keep_alive: Duration::from_secs(15),
            max_connections: 256,
            max_requests_in_flight: 128,
            max_streams_per_connection: 16,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}
