//! The HTTPS server every simulated device runs on: TLS with the device's certificate,
//! HTTP/1.1 or HTTP/2 (by ALPN), and the bounds of [`ServerLimits`] — a TLS handshake
//! timeout, a header-read timeout, an idle keep-alive timeout, a connection cap and a
//! shutdown deadline. (Body timeouts and size caps are the device's own, see `crate::guard`.)
//!
//! Written on hyper-util directly, like mini-redis's `server::run(listener, shutdown)`: the
//! caller hands in the listener, the routes and a shutdown signal.

mod activity;
mod limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

pub use limits::ServerLimits;

use activity::Activity;

/// After an idle connection is told to close, it gets this long to say goodbye (an HTTP/2
/// GOAWAY, a TLS close) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Counts of a device's connections, for tests and operators.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    accepted: AtomicU64,
    open: AtomicUsize,
}

impl ConnectionStats {
    /// Connections accepted since the device started.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now (TLS handshake included).
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

struct OpenConnection(Arc<ConnectionStats>);

impl OpenConnection {
    fn new(stats: &Arc<ConnectionStats>) -> Self {
        stats.accepted.fetch_add(1, Ordering::SeqCst);
        stats.open.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(stats))
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What every connection of one device shares.
struct Shared {
    tls: TlsAcceptor,
    routes: Router,
    limits: ServerLimits,
    http1: Builder<TokioExecutor>,
    http2: Builder<TokioExecutor>,
    stats: Arc<ConnectionStats>,
}

/// Serve `routes` over TLS on `listener` until `shutdown` turns true; then stop accepting,
/// let requests in progress finish for up to `limits.shutdown_grace`, and drop the rest.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    routes: Router,
    limits: ServerLimits,
    stats: Arc<ConnectionStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut http1 = Builder::new(TokioExecutor::new()).http1_only();
    http1
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(true);
    let mut http2 = Builder::new(TokioExecutor::new()).http2_only();
    http2
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams_per_connection);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let shared = Arc::new(Shared {
        tls: TlsAcceptor::from(tls),
        routes,
        limits,
        http1,
        http2,
        stats,
    });
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        // Take a slot before accepting: over the cap, clients wait in the listen backlog
        // instead of holding a file descriptor here.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let shared = Arc::clone(&shared);
                let shutdown = shutdown.clone();
                connections.spawn(connection(stream, peer, slot, shared, shutdown));
            }
            Err(err) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%err, "accepting a connection failed");
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let drained = timeout(shared.limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!(
            left = connections.len(),
            "shutdown deadline passed; dropping connections"
        );
        connections.shutdown().await;
    }
}

/// One connection: TLS handshake, then HTTP until the client leaves, the connection has been
/// idle too long, or the device shuts down.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _open = OpenConnection::new(&shared.stats);
    let _ = stream.set_nodelay(true);
    let handshake = tokio::select! {
        done = timeout(shared.limits.tls_handshake, shared.tls.accept(stream)) => done,
        _ = shutdown.wait_for(|stop| *stop) => return,
    };
    let Ok(Ok(tls)) = handshake else {
        return;
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let activity = Activity::new();
    let service = {
        let activity = Arc::clone(&activity);
        let routes = shared.routes.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_progress = activity.begin();
            let routes = routes.clone();
            async move {
                let response = routes.oneshot(request).await;
                drop(in_progress);
                response
            }
        })
    };
    let builder = if h2 { &shared.http2 } else { &shared.http1 };
    let conn = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let idle = shared.limits.idle_keep_alive;
    // Once the connection is told to close, when it is dropped whatever it is doing.
    let mut drop_at: Option<Instant> = None;
    loop {
        let idle_check = activity
            .idle_deadline(idle)
            .unwrap_or_else(|| Instant::now() + idle);
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = shutdown.wait_for(|stop| *stop), if drop_at.is_none() => {
                // Requests in progress may finish; the server's deadline drops the rest.
                conn.as_mut().graceful_shutdown();
                drop_at = Some(Instant::now() + shared.limits.shutdown_grace + CLOSE_GRACE);
            }
            _ = sleep_until(idle_check), if drop_at.is_none() => {
                if activity.idle_deadline(idle).is_some_and(|at| at <= Instant::now()) {
                    conn.as_mut().graceful_shutdown();
                    drop_at = Some(Instant::now() + CLOSE_GRACE);
                }
            }
            _ = sleep_until(drop_at.unwrap_or_else(Instant::now)), if drop_at.is_some() => return,
        }
    }
}
