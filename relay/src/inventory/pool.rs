//! One device's keep-alive pool: HTTP/1.1 connections over TLS, reused most recently used first,
//! at most [`MAX_CONNECTIONS`] open at once (further calls wait for one), idle ones closed after
//! `pool_idle`.
//!
//! A call drives its connection itself, in the task that serves the client: the connection is
//! polled together with the request until the response headers arrive, then together with the
//! reply body as the client reads it ([`Reply`]), and goes back to the pool once the reply has
//! been read whole. So a forwarded call involves no hand-off to a connection task (nor to
//! another thread), which is most of what an HTTP client costs on a small machine.
//!
//! HTTP/1.1 is offered by ALPN and spoken to every device: a call holds a connection for its
//! duration, and the per-device cap bounds how many the relay opens.

use std::cell::Cell;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method, Request, Response, header};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::client::conn::{TrySendError, http1};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use url::{Host, Url};

use super::resolve::{DeviceResolver, ResolveError};
use crate::trust::tls;

/// An error a body may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of a call to a device.
pub type Outgoing = UnsyncBoxBody<Bytes, BoxError>;

/// Most connections the relay holds open to one device; a call beyond waits for one.
pub const MAX_CONNECTIONS: usize = 64;

/// Most a connection buffers of what the device sends (response heads must fit).
const READ_BUFFER: usize = 64 * 1024;

/// Why a call got no response headers from the device.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("resolving the device's name")]
    Resolve(#[from] ResolveError),
    #[error("connecting to {addr}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS handshake")]
    Tls(#[source] std::io::Error),
    #[error("no connection within {} ms", .0.as_millis())]
    ConnectTimeout(Duration),
    #[error("HTTP exchange")]
    Http(#[source] hyper::Error),
}

/// How far a call got, readable after its future was dropped (the request timeout drops it):
/// whether its request was handed to a connection to the device. A call that never was (no
/// connection, a failed handshake, a pin mismatch, a wait for one of the pool's connections)
/// reached nothing, so the device's budget gives its request back (`crate::admission::budget`).
#[derive(Debug, Default)]
pub struct CallProgress(AtomicBool);

impl CallProgress {
    /// Whether the request was handed to a connection (it may have gone out, in part or whole).
    pub fn sent(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn mark(&self, sent: bool) {
        self.0.store(sent, Ordering::Relaxed);
    }
}

/// Where a pool dials and how.
#[derive(Debug)]
pub struct PoolSettings {
    pub base_url: Url,
    /// The device's trust policy as a client configuration (`crate::trust::tls`: HTTP/1.1 by
    /// ALPN, the only protocol the pool speaks).
    pub tls: rustls::ClientConfig,
    pub resolver: Arc<DeviceResolver>,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
}

/// A device's connections. Cheap to share: clones are handles to the same pool.
#[derive(Clone, Debug)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    /// Host as written in the base URL, without IPv6 brackets, and the port to dial.
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    /// The `Host` header every call carries: the base URL's host and port.
    host_header: HeaderValue,
    tls: TlsConnector,
    resolver: Arc<DeviceResolver>,
    connect_timeout: Duration,
    idle_timeout: Duration,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<Idle>>,
    /// One permit per call in progress, so at most [`MAX_CONNECTIONS`] connections are open.
    slots: Arc<Semaphore>,
    opened: AtomicU64,
    /// Connections open now (in use or idle) or being opened: a place is taken before the dial,
    /// so calls racing for the last one cannot pass [`MAX_CONNECTIONS`].
    open: Arc<AtomicUsize>,
}

/// One connection: the request half and the connection future that does its I/O (dropped
/// once a request finds it finished: see [`Upstream::send`]). Boxed once, when opened (it is
/// ~1.8 KB, mostly the TLS state): a call and the pool then move a pointer, not the connection.
struct Upstream {
    send: http1::SendRequest<Outgoing>,
    conn: Option<http1::Connection<TokioIo<TlsStream<TcpStream>>, Outgoing>>,
    ended: bool,
    /// The worker whose runtime the connection's socket is registered with.
    home: usize,
    _open: OpenConnection,
}

/// Counts a connection as open while it lives (from before its dial).
struct OpenConnection(Arc<AtomicUsize>);

impl OpenConnection {
    /// A place for one more connection, unless [`MAX_CONNECTIONS`] are open.
    fn reserve(open: &Arc<AtomicUsize>) -> Option<Self> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_CONNECTIONS).then_some(n + 1)
        })
        .ok()
        .map(|_| Self(open.clone()))
    }

    /// A place whatever the count (see [`Shared::checkout`]).
    fn beyond_cap(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::AcqRel);
        Self(open.clone())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a call gets from the pool: a connection to reuse, or a place to open one.
enum Checkout {
    Reuse(Box<Upstream>),
    Open(OpenConnection),
}

thread_local! {
    /// The server worker this thread runs (0: the caller's runtime).
    static WORKER: Cell<usize> = const { Cell::new(0) };
}

/// Tell the pools which server worker this thread runs, so calls prefer connections of their
/// own runtime (`crate::server::accept` sets it on each worker thread).
pub fn set_current_worker(index: usize) {
    WORKER.with(|w| w.set(index));
}

fn current_worker() -> usize {
    WORKER.with(Cell::get)
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("ended", &self.ended)
            .finish()
    }
}

#[derive(Debug)]
struct Idle {
    upstream: Box<Upstream>,
    since: Instant,
}

impl Upstream {
    /// Let the connection do its I/O; `true` when it has just ended (closed or failed).
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        if self.ended {
            return false;
        }
        let Some(conn) = &mut self.conn else {
            return false;
        };
        if Pin::new(conn).poll(cx).is_ready() {
            self.ended = true;
            return true;
        }
        false
    }

    /// Whether an idle connection can take a call now (it was not closed while idle).
    fn usable(&mut self, cx: &mut Context<'_>) -> bool {
        self.drive(cx);
        !self.ended && matches!(self.send.poll_ready(cx), Poll::Ready(Ok(())))
    }

    /// Send `request`, driving the connection until the response headers arrive. The request
    /// comes back in the error if it was never written (the connection had closed).
    ///
    /// A connection can finish (the device closed it while idle, and this poll is the first to
    /// read that) with the request still queued in it, unwritten. The queue lives in the
    /// connection future, so the request is only failed — and handed back, to go out on
    /// another connection — when that future is dropped; keeping it would leave the call
    /// waiting for an answer that cannot come until the request timeout.
    async fn send(
        &mut self,
        request: Request<Outgoing>,
    ) -> Result<Response<Incoming>, TrySendError<Request<Outgoing>>> {
        let mut sending = std::pin::pin!(self.send.try_send_request(request));
        poll_fn(|cx| {
            loop {
                if let Poll::Ready(result) = sending.as_mut().poll(cx) {
                    return Poll::Ready(result);
                }
                if !self.drive(cx) {
                    return Poll::Pending;
                }
                // The connection just ended: drop it, which fails the request if it is still
                // queued, and poll the request once more.
                self.conn = None;
            }
        })
        .await
    }
}

impl Pool {
    pub fn new(settings: PoolSettings) -> Result<Self, url::ParseError> {
        let url = &settings.base_url;
        let url_host = url.host().ok_or(url::ParseError::EmptyHost)?;
        let server_name =
            tls::server_name(&url_host).ok_or(url::ParseError::InvalidDomainCharacter)?;
        let host = match url_host {
            Host::Domain(name) => name.to_owned(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let host_header = HeaderValue::from_str(&authority)
            .map_err(|_| url::ParseError::InvalidDomainCharacter)?;
        Ok(Self {
            shared: Arc::new(Shared {
                host,
                port,
                server_name,
                host_header,
                tls: TlsConnector::from(Arc::new(settings.tls)),
                resolver: settings.resolver,
                connect_timeout: settings.connect_timeout,
                idle_timeout: settings.idle_timeout,
                idle: Mutex::new(Vec::new()),
                slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
                opened: AtomicU64::new(0),
                open: Arc::new(AtomicUsize::new(0)),
            }),
        })
    }

    /// TLS connections opened to the device so far (full and resumed handshakes alike).
    pub fn connections_opened(&self) -> u64 {
        self.shared.opened.load(Ordering::Relaxed)
    }

    /// Idle connections kept now.
    pub fn idle_connections(&self) -> usize {
        self.shared.idle_list().len()
    }

    /// Close the connections idle for longer than `pool_idle`.
    pub fn close_expired(&self) {
        let expired = self.shared.take_expired(Instant::now());
        drop(expired);
    }

    /// One call: `request` (origin-form URI; its `Host` is set here) over an idle connection,
    /// or a new one. A connection found closed when it is used is replaced, and a request it
    /// never sent is sent on the next. `progress` says, even if this future is dropped,
    /// whether the request was handed to a connection.
    pub async fn call(
        &self,
        mut request: Request<Outgoing>,
        progress: &CallProgress,
    ) -> Result<Response<Reply>, CallError> {
        let shared = &self.shared;
        request
            .headers_mut()
            .insert(header::HOST, shared.host_header.clone());
        let slot = shared
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the pool's semaphore is never closed");
        let mut resent = false;
        loop {
            let (mut upstream, reused) = match poll_fn(|cx| Poll::Ready(shared.checkout(cx))).await
            {
                Checkout::Reuse(idle) => (idle, true),
                // Boxed: opening a connection is rare, and its future (a TLS handshake's) would
                // otherwise make every call's future, copied at each `.await` above it, larger.
                Checkout::Open(place) => (Box::pin(shared.connect(place)).await?, false),
            };
            // A device may close a keep-alive connection just as a request goes out on it (it
            // had been idle long enough): if a reused connection fails before the reply's head,
            // a GET or HEAD — no body, nothing changed — is sent once more, on another
            // connection. Anything else gets the error: the device may have acted on it.
            let again = (reused && !resent && resendable(&request)).then(|| {
                (
                    request.method().clone(),
                    request.uri().clone(),
                    request.headers().clone(),
                )
            });
            progress.mark(true);
            match upstream.send(request).await {
                Ok(response) => {
                    return Ok(
                        response.map(|body| Reply::new(body, upstream, shared.clone(), slot))
                    );
                }
                Err(mut failed) => match (failed.take_message(), again) {
                    // Closed while idle, before the request went out: try the next connection.
                    (Some(unsent), _) if reused => {
                        progress.mark(false);
                        request = unsent;
                    }
                    (None, Some((method, uri, headers))) => {
                        resent = true;
                        request = Request::new(empty_body());
                        *request.method_mut() = method;
                        *request.uri_mut() = uri;
                        *request.headers_mut() = headers;
                    }
                    (unsent, _) => {
                        // Back unsent from a fresh connection: nothing reached the device.
                        progress.mark(unsent.is_none());
                        return Err(CallError::Http(failed.into_error()));
                    }
                },
            }
        }
    }
}

/// Whether a request can be sent again after a connection closed under it unanswered: a `GET`
/// or `HEAD` without a body.
fn resendable(request: &Request<Outgoing>) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD) && request.body().is_end_stream()
}

fn empty_body() -> Outgoing {
    UnsyncBoxBody::new(http_body_util::Empty::<Bytes>::new().map_err(|never| match never {}))
}

impl Shared {
    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<Idle>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The expired idle connections, taken out of the pool (to be closed outside the lock).
    fn take_expired(&self, now: Instant) -> Vec<Idle> {
        let mut idle = self.idle_list();
        let fresh = idle
            .iter()
            .position(|i| now.duration_since(i.since) < self.idle_timeout)
            .unwrap_or(idle.len());
        idle.drain(..fresh).collect()
    }

    /// The most recently used idle connection of this worker that can take a call now; when
    /// this worker has none, a place to open one; when no more may be opened, another worker's.
    ///
    /// One is always there: every call holds one of [`MAX_CONNECTIONS`] slots, and a connection
    /// is checked in (or dropped) before its call gives the slot back, so when the caller (with
    /// no connection yet) finds the count full, at least one of those connections is idle.
    fn checkout(&self, cx: &mut Context<'_>) -> Checkout {
        drop(self.take_expired(Instant::now()));
        let me = current_worker();
        loop {
            let mut idle = {
                let mut list = self.idle_list();
                let mine = list.iter().rposition(|i| i.upstream.home == me);
                let at = match mine {
                    Some(at) => at,
                    None => {
                        if let Some(place) = OpenConnection::reserve(&self.open) {
                            return Checkout::Open(place);
                        }
                        // Not empty (above); if it were, open one rather than fail the call.
                        let Some(last) = list.len().checked_sub(1) else {
                            return Checkout::Open(OpenConnection::beyond_cap(&self.open));
                        };
                        last
                    }
                };
                list.remove(at)
            };
            if idle.upstream.usable(cx) {
                return Checkout::Reuse(idle.upstream);
            }
        }
    }

    fn checkin(&self, upstream: Box<Upstream>) {
        if upstream.ended || upstream.send.is_closed() {
            return;
        }
        self.idle_list().push(Idle {
            upstream,
            since: Instant::now(),
        });
    }

    async fn connect(&self, place: OpenConnection) -> Result<Box<Upstream>, CallError> {
        let connecting = async {
            let addrs = self.resolver.addresses(&self.host, self.port).await?;
            let tcp = self.dial(&addrs).await?;
            let _ = tcp.set_nodelay(true);
            let tls = self
                .tls
                .connect(self.server_name.clone(), tcp)
                .await
                .map_err(CallError::Tls)?;
            let (send, conn) = http1::Builder::new()
                .max_buf_size(READ_BUFFER)
                .handshake(TokioIo::new(tls))
                .await
                .map_err(CallError::Http)?;
            self.opened.fetch_add(1, Ordering::Relaxed);
            Ok(Box::new(Upstream {
                send,
                conn: Some(conn),
                ended: false,
                home: current_worker(),
                _open: place,
            }))
        };
        tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .unwrap_or(Err(CallError::ConnectTimeout(self.connect_timeout)))
    }

    /// The first of `addrs` that accepts a TCP connection.
    async fn dial(&self, addrs: &[SocketAddr]) -> Result<TcpStream, CallError> {
        let mut failure = CallError::Resolve(ResolveError::NoAddress {
            device: self.resolver.device().to_owned(),
            host: self.host.clone(),
        });
        for &addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(source) => failure = CallError::Connect { addr, source },
            }
        }
        Err(failure)
    }
}

/// A device's reply body. Reading it drives the connection; once it has been read whole the
/// connection goes back to the pool (a reply dropped before its end closes the connection, as
/// the rest of it would still be on the way).
pub struct Reply {
    body: Incoming,
    upstream: Option<Box<Upstream>>,
    pool: Arc<Shared>,
    done: bool,
    _slot: OwnedSemaphorePermit,
}

impl Reply {
    fn new(
        body: Incoming,
        upstream: Box<Upstream>,
        pool: Arc<Shared>,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        let done = body.is_end_stream();
        Self {
            body,
            upstream: Some(upstream),
            pool,
            done,
            _slot: slot,
        }
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(upstream) = &mut this.upstream {
            upstream.drive(cx);
        }
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            this.done = true;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if (self.done || self.body.is_end_stream())
            && let Some(upstream) = self.upstream.take()
        {
            self.pool.checkin(upstream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::TrustPolicy;
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    /// A device that answers one request on its connection, then closes the connection (idle)
    /// when told to.
    async fn closing_device() -> (
        Url,
        tokio::sync::oneshot::Sender<()>,
        tokio::sync::oneshot::Receiver<()>,
    ) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let server = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(server));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("https://{}/", listener.local_addr().unwrap())).unwrap();
        let (close_tx, close) = tokio::sync::oneshot::channel::<()>();
        let (closed_tx, closed) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                if tls.read(&mut byte).await.unwrap() == 0 {
                    return;
                }
                head.push(byte[0]);
            }
            let reply = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
            tls.write_all(reply.as_bytes()).await.unwrap();
            tls.flush().await.unwrap();
            let _ = close.await;
            let _ = tls.shutdown().await;
            drop(tls);
            let _ = closed_tx.send(());
        });
        (url, close_tx, closed)
    }

    /// Places are taken before a dial, so callers racing for the last ones — on any number of
    /// worker threads — never hold more than the cap; a place given back is free again.
    #[test]
    fn places_for_connections_never_pass_the_cap_even_when_threads_race() {
        let open = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let held: Vec<OpenConnection> = std::thread::scope(|scope| {
            let racers: Vec<_> = (0..8)
                .map(|_| {
                    let (open, barrier) = (open.clone(), barrier.clone());
                    scope.spawn(move || {
                        barrier.wait();
                        (0..MAX_CONNECTIONS)
                            .filter_map(|_| OpenConnection::reserve(&open))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            racers.into_iter().flat_map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(held.len(), MAX_CONNECTIONS);
        assert_eq!(open.load(Ordering::Relaxed), MAX_CONNECTIONS);
        assert!(OpenConnection::reserve(&open).is_none());
        drop(held.into_iter().next());
        assert!(OpenConnection::reserve(&open).is_some());
    }

    fn get() -> Request<Outgoing> {
        let mut request = Request::new(empty_body());
        *request.uri_mut() = "/mgmt/tm/sys/version".parse().unwrap();
        request
    }

    /// The window the pool cannot close: a connection checked as usable, then closed by the
    /// device before its request was written. The request must come back unsent (for the next
    /// connection), not wait on a connection that has finished.
    #[tokio::test]
    async fn a_request_queued_on_a_connection_that_then_closes_comes_back_unsent() {
        let (url, close, closed) = closing_device().await;
        let pool = Pool::new(PoolSettings {
            base_url: url,
            tls: TrustPolicy::Insecure.client_config().unwrap(),
            resolver: Arc::new(DeviceResolver::any()),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
        })
        .unwrap();
        let place = OpenConnection::reserve(&pool.shared.open).unwrap();
        let mut upstream = pool.shared.connect(place).await.unwrap();
        let response = upstream.send(get()).await.unwrap();
        response.into_body().collect().await.unwrap();
        // Usable now (the device has not closed it yet)...
        assert!(poll_fn(|cx| Poll::Ready(upstream.usable(cx))).await);
        // ...then the device closes it, before the next request is written.
        close.send(()).unwrap();
        closed.await.unwrap();
        let sent = tokio::time::timeout(Duration::from_secs(2), upstream.send(get()))
            .await
            .expect("the request waited on a finished connection");
        match sent {
            Ok(response) => panic!("answered on a closed connection: {}", response.status()),
            Err(mut failed) => assert!(
                failed.take_message().is_some(),
                "the request did not come back for the next connection: {}",
                failed.into_error()
            ),
        }
    }

    fn pool_to(base_url: Url, connect_timeout: Duration) -> Pool {
        Pool::new(PoolSettings {
            base_url,
            tls: TrustPolicy::Insecure.client_config().unwrap(),
            resolver: Arc::new(DeviceResolver::any()),
            connect_timeout,
            idle_timeout: Duration::from_secs(60),
        })
        .unwrap()
    }

    /// Whether a call's request was handed to a connection, as the budget asks once the call
    /// failed or timed out: not for a closed port or a device that never finishes the
    /// handshake, yes for a call the device answered.
    #[tokio::test]
    async fn progress_says_sent_only_once_the_request_went_out() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let pool = pool_to(
            Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap(),
            Duration::from_secs(5),
        );
        let progress = CallProgress::default();
        assert!(pool.call(get(), &progress).await.is_err());
        assert!(!progress.sent(), "nothing listens there");

        let (url, _close, _closed) = closing_device().await;
        let progress = CallProgress::default();
        let reply = pool_to(url, Duration::from_secs(5))
            .call(get(), &progress)
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert!(progress.sent());

        // Accepts, never speaks: the call is stuck in the handshake when its time is up.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("https://{}/", silent.local_addr().unwrap())).unwrap();
        let holding = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });
        let progress = CallProgress::default();
        let pool = pool_to(url, Duration::from_secs(5));
        let call = pool.call(get(), &progress);
        assert!(
            tokio::time::timeout(Duration::from_millis(300), call)
                .await
                .is_err()
        );
        assert!(!progress.sent(), "the handshake never finished");
        holding.abort();
    }

    /// A call's future is copied whole at each `.await` above it, for every call: the
    /// connection (its TLS state) and the handshake that opens one are boxed so it stays small
    /// (4.8 KB before, when the copies were 7 % of the relay's CPU under load).
    #[test]
    fn a_calls_future_stays_small() {
        let pool = Pool::new(PoolSettings {
            base_url: Url::parse("https://127.0.0.1:9/").unwrap(),
            tls: TrustPolicy::Insecure.client_config().unwrap(),
            resolver: Arc::new(DeviceResolver::any()),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
        })
        .unwrap();
        let progress = CallProgress::default();
        let call = pool.call(get(), &progress);
        assert!(
            std::mem::size_of_val(&call) <= 2048,
            "{} bytes",
            std::mem::size_of_val(&call)
        );
        assert!(std::mem::size_of::<Checkout>() <= 16);
    }
}
