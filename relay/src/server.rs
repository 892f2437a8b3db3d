//! The HTTP/1.1 server under [`crate::serve`], on hyper directly so every bound is real:
//! a header-read timeout (which also ends idle keep-alive connections), a send timeout (a
//! client that stops reading its reply), a connection cap (excess connections wait in the
//! listen backlog), and a shutdown deadline (connections still busy after it are cut off).
//! The body-read timeout and the in-flight cap are layers (`layers.rs`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::Limits;
use crate::guard::LocalAddr;
use crate::layers::Front;
use crate::metrics::{Metrics, OpenConnection};

/// Most a connection buffers of what its client sends (request heads must fit): uploads
/// stream through in pieces this size, whatever their total.
const READ_BUFFER: usize = 64 * 1024;

/// Serve `front` on `listener` until `shutdown` resolves; then stop accepting, let requests in
/// flight finish for up to `limits.shutdown_deadline`, and cut off what is left.
///
/// One worker per core, in nginx's manner: the calling task is the first, and each other core
/// gets a thread with a single-threaded runtime of its own, accepting from the same listening
/// socket. A connection lives on the worker that accepted it, with every call it forwards (and
/// the pooled device connections those calls open), so serving a call never wakes another
/// thread. The connection cap is shared by all workers.
pub async fn run(
    listener: TcpListener,
    front: Front,
    limits: Limits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let worker = Worker {
        front,
        limits,
        metrics,
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        stopping,
    };
    // Stops the other workers however this future ends (finished, or dropped by its caller).
    let stop = StopOnDrop(stop);
    let mut others = Vec::new();
    // Non-blocking, as `into_std` leaves it; each worker registers its own copy.
    let listener = listener.into_std()?;
    // Workers log where the caller logs (a test's thread-local subscriber included).
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    for index in 1..workers() {
        let listener = listener.try_clone()?;
        let dispatch = dispatch.clone();
        let worker = worker.clone();
        let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("relay-worker-{index}"))
            .spawn(move || {
                let _logs = tracing::dispatcher::set_default(&dispatch);
                crate::inventory::pool::set_current_worker(index);
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        tracing::error!("starting worker {index}: {e}");
                        return;
                    }
                };
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    let mut stopped = worker.stopping.clone();
                    let stop_signal = async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    };
                    worker.run(listener, None, stop_signal).await;
                });
                let _ = done_tx.send(());
            })?;
        others.push(done);
    }
    let listener = TcpListener::from_std(listener)?;
    worker.run(listener, Some(&stop.0), shutdown).await;
    for done in others {
        let _ = done.await;
    }
    Ok(())
}

/// How many workers serve: one per core the process may use.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 64))
}

/// How often each worker's [`keep_a_timer_near`] fires.
const NEAR_TIMER_EVERY: Duration = Duration::from_secs(1);

/// Keeps a timer due within [`NEAR_TIMER_EVERY`] on the worker's runtime, forever.
///
/// Tokio wakes its own event loop (an eventfd write, then one more round of `epoll_wait`)
/// whenever a timer is set to fire before the earliest one the loop last went to sleep for.
/// hyper sets a connection's header-read timer (10 s) anew each time it starts reading a
/// request, just after the previous reply went out, when the earliest timer was often that
/// call's 30 s request timeout: at one call at a time, every call paid for the wake-up (a
/// syscall and an extra event on the path; seen with `strace`). With a timer always due
/// within a second, the timers a call sets are later than the earliest and wake nothing;
/// this one costs one wake-up a second.
async fn keep_a_timer_near() {
    let mut tick = tokio::time::interval(NEAR_TIMER_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
    }
}

/// Sends the stop signal when dropped.
struct StopOnDrop(watch::Sender<bool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// What every worker serves with: the front, the limits, the metrics, the connection cap they
/// share and the stop signal.
#[derive(Clone)]
struct Worker {
    front: Front,
    limits: Limits,
    metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    stopping: watch::Receiver<bool>,
}

impl Worker {
    /// Accept connections on `listener` (within the shared cap) until `shutdown`, then drain
    /// them within the deadline. The first worker tells the others (`stop`) when it stops.
    async fn run(
        self,
        listener: TcpListener,
        stop: Option<&watch::Sender<bool>>,
        shutdown: impl Future<Output = ()>,
    ) {
        let Self {
            front,
            limits,
            metrics,
            slots,
            stopping,
        } = self;
        // Aborted when this worker stops (a `JoinSet` aborts its tasks when dropped).
        let mut near_timer = JoinSet::new();
        near_timer.spawn(keep_a_timer_near());
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            // A free slot first: past the cap, connections wait in the kernel's listen backlog.
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: back off instead of spinning.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            while connections.try_join_next().is_some() {}
            let connection = Connection {
                peer,
                local: stream.local_addr().ok(),
                limits,
                _slot: slot,
                _open: metrics.connection_opened(),
            };
            connections.spawn(connection.serve(stream, front.clone(), stopping.clone()));
        }
        drop(listener);
        if let Some(stop) = stop {
            let _ = stop.send(true);
        }
        let drained = tokio::time::timeout(limits.shutdown_deadline, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                open = connections.len(),
                deadline_ms = limits.shutdown_deadline.as_millis() as u64,
                "shutdown deadline passed: cutting off the connections still open"
            );
            connections.shutdown().await;
        }
    }
}

/// One client connection and what it holds while it lives.
struct Connection {
    peer: SocketAddr,
    local: Option<SocketAddr>,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    _open: OpenConnection,
}

impl Connection {
    async fn serve(self, stream: TcpStream, front: Front, mut stopping: watch::Receiver<bool>) {
        let (peer, local) = (self.peer, self.local);
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            if let Some(local) = local {
                request.extensions_mut().insert(LocalAddr(local));
            }
            let front = front.clone();
            async move { Ok::<_, std::convert::Infallible>(front.handle(request).await) }
        });
        let io = TokioIo::new(SendTimeout::new(stream, self.limits.send_timeout));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout)
            .max_buf_size(READ_BUFFER)
            .keep_alive(true);
        let connection = http.serve_connection(io, service);
        tokio::pin!(connection);
        let stop = async move {
            loop {
                if *stopping.borrow_and_update() {
                    return;
                }
                if stopping.changed().await.is_err() {
                    return;
                }
            }
        };
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = stop => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(e) = result {
            tracing::debug!(%peer, "connection ended: {e}");
        }
    }
}

/// A stream whose writes fail once they have made no progress for `limit`: a client that
/// stops reading its reply gives its connection up.
struct SendTimeout<T> {
    inner: T,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> SendTimeout<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// After a write that could not proceed: fail if it has been stuck for `limit`.
    fn stuck<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let limit = self.limit;
        let stall = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading its reply",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<R>(
        &mut self,
        result: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.stuck(cx),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for SendTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for SendTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progressed(result, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progressed(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.progressed(result, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.progressed(result, cx)
    }
}
