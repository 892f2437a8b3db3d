//! The HTTP/1.1 server under [`crate::serve`], on hyper directly so every bound is real:
//! a header-read timeout (which also ends idle keep-alive connections), a send timeout (a
//! client that stops reading its reply), a connection cap (excess connections wait in the
//! listen backlog) with each client's share of it (a client past its share is refused at once,
//! so it cannot fill the backlog's place for everyone), and a shutdown deadline (connections
//! still busy after it are cut off). The body-read timeout and the in-flight cap are the
//! front's (`super::front`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use shared::wire::{RelayErrorBody, RelayErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::front::Front;
use crate::admission::fair_share::{ClientKey, FairShare, Share};
use crate::config::Limits;
use crate::guard::{LocalAddr, ProxyPolicy};
use crate::metrics::{Metrics, OpenConnection, WorkerConnections};

/// Most a connection buffers of what its client sends (request heads must fit): uploads
/// stream through in pieces this size, whatever their total.
const READ_BUFFER: usize = 64 * 1024;

/// Serve `front` on `listener` until `shutdown` resolves; then stop accepting, let requests in
/// flight finish for up to `limits.shutdown_deadline`, and cut off what is left.
///
/// One worker per core, in nginx's manner: the calling task is the first, and each other core
/// gets a thread with a single-threaded runtime of its own, accepting from the same listening
/// socket. A connection lives on one worker, with every call it forwards (and the pooled device
/// connections those calls open), so serving a call never wakes another thread. Which worker:
/// the one with the fewest connections open when it is accepted ([`place`]); the worker that
/// accepted it hands it over if that is another. The connection cap is shared by all workers.
///
/// A connection is counted for its peer's address (`shares`: at most
/// `limits.max_connections_per_client` each), unless the peer is one of the operator's
/// `proxies`: behind an ingress every connection comes from it, and its clients are counted per
/// request by the front.
pub async fn run(
    listener: TcpListener,
    front: Front,
    limits: Limits,
    metrics: Arc<Metrics>,
    admission: Admission,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    // As many workers as the metrics count (the same unless they served before).
    let loads = metrics.worker_connections(workers());
    let count = loads.counts().len();
    let (inboxes, received): (Vec<_>, Vec<_>) =
        (0..count).map(|_| mpsc::unbounded_channel()).unzip();
    let mut received = received.into_iter();
    let first_inbox = received.next().expect("at least one worker");
    let refusal: Arc<[u8]> = over_share_reply(admission.shares.per_client()).into();
    let worker = Worker {
        index: 0,
        front,
        limits,
        loads,
        metrics,
        slots: Arc::new(Semaphore::new(limits.max_connections)),
        admission,
        refusal,
        inboxes: inboxes.into(),
        stopping,
    };
    // Stops the other workers however this future ends (finished, or dropped by its caller).
    let stop = StopOnDrop(stop);
    let mut others = Vec::new();
    // Non-blocking, as `into_std` leaves it; each worker registers its own copy.
    let listener = listener.into_std()?;
    // Workers log where the caller logs (a test's thread-local subscriber included).
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    for (index, inbox) in (1..).zip(received) {
        let listener = listener.try_clone()?;
        let dispatch = dispatch.clone();
        let worker = Worker {
            index,
            ..worker.clone()
        };
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
                    worker.run(listener, inbox, None, stop_signal).await;
                });
                let _ = done_tx.send(());
            })?;
        others.push(done);
    }
    let listener = TcpListener::from_std(listener)?;
    worker
        .run(listener, first_inbox, Some(&stop.0), shutdown)
        .await;
    for done in others {
        let _ = done.await;
    }
    Ok(())
}

/// Who is counted at accept: the proxies whose connections are not, and every other peer's
/// share of the connection cap.
#[derive(Clone)]
pub struct Admission {
    pub proxies: Arc<ProxyPolicy>,
    pub shares: Arc<FairShare>,
}

/// What a client past its share of connections is told before its connection is closed: a
/// relay error, `503 overloaded`, made once.
fn over_share_reply(limit: u32) -> Vec<u8> {
    let body = RelayErrorBody {
        code: RelayErrorCode::Overloaded,
        message: format!(
            "You have {limit} connections open to this relay, the most one client may have (the \
             rest are left for everyone else). Close some, or try again in 1 s."
        ),
        device: None,
        retry_after_secs: Some(1),
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         x-tokendeck-relay-error: 1\r\nretry-after: 1\r\nconnection: close\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Refuse a connection whose client holds its share: best effort, without waiting for the
/// client — the reply if the socket takes it now, what the client already sent read off (so
/// closing sends a FIN, not a reset that could discard the reply), then closed.
fn refuse(stream: TcpStream, reply: &[u8]) {
    use std::io::{Read, Write};
    let Ok(mut stream) = stream.into_std() else {
        return;
    };
    let _ = stream.write(reply);
    let mut sent = [0u8; 4096];
    for _ in 0..4 {
        if !matches!(stream.read(&mut sent), Ok(n) if n > 0) {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
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

/// What every worker serves with: its number, the front, the limits, the metrics, the
/// connection cap and the connection counts they share, every worker's inbox and the stop
/// signal.
#[derive(Clone)]
struct Worker {
    index: usize,
    front: Front,
    limits: Limits,
    metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    admission: Admission,
    /// What a client past its share of connections is sent ([`over_share_reply`]).
    refusal: Arc<[u8]>,
    loads: Arc<WorkerConnections>,
    inboxes: Arc<[mpsc::UnboundedSender<Handover>]>,
    stopping: watch::Receiver<bool>,
}

/// A connection one worker accepted for another: the socket (deregistered from the first
/// worker's runtime), its peer, its place under the cap and its place in the counts.
struct Handover {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    slot: Share,
    placed: Placed,
}

/// Places each new connection on the worker with the fewest open (the one that accepted it
/// when tied): the kernel wakes whichever worker is awake first, so without this a burst of new
/// connections (a client opening its keep-alive pool) lands on one worker, which queues them
/// while the other cores idle. The counts are the metrics' (`/metrics` shows them).
///
/// A count is only raised from the value the choice saw (else the choice is made again), so two
/// workers accepting at once cannot both fill the same least loaded worker past the others.
fn place(loads: &Arc<WorkerConnections>, me: usize) -> Placed {
    let counts = loads.counts();
    let worker = loop {
        let mut worker = me;
        let mut least = counts[me].load(Ordering::Relaxed);
        for (index, open) in counts.iter().enumerate() {
            let open = open.load(Ordering::Relaxed);
            if open < least {
                (worker, least) = (index, open);
            }
        }
        if counts[worker]
            .compare_exchange(least, least + 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            break worker;
        }
    };
    Placed {
        loads: loads.clone(),
        worker,
    }
}

/// A connection counted on `worker` while it lives.
struct Placed {
    loads: Arc<WorkerConnections>,
    worker: usize,
}

impl Drop for Placed {
    fn drop(&mut self) {
        self.loads.counts()[self.worker].fetch_sub(1, Ordering::Relaxed);
    }
}

impl Worker {
    /// Accept connections on `listener` (within the shared cap), and take the ones other
    /// workers hand over in `inbox`, until `shutdown`; then drain them within the deadline. The
    /// first worker tells the others (`stop`) when it stops.
    async fn run(
        self,
        listener: TcpListener,
        mut inbox: mpsc::UnboundedReceiver<Handover>,
        stop: Option<&watch::Sender<bool>>,
        shutdown: impl Future<Output = ()>,
    ) {
        let Self {
            index,
            front,
            limits,
            metrics,
            slots,
            admission,
            refusal,
            loads,
            inboxes,
            stopping,
        } = self;
        // Aborted when this worker stops (a `JoinSet` aborts its tasks when dropped).
        let mut near_timer = JoinSet::new();
        near_timer.spawn(keep_a_timer_near());
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        let accept = async || {
            // A free slot first: past the cap, connections wait in the kernel's listen backlog.
            let slot = slots
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            (slot, listener.accept().await)
        };
        loop {
            let (stream, peer, slot, placed) = tokio::select! {
                (slot, accepted) = accept() => match accepted {
                    Ok((stream, peer)) => {
                        let Some(slot) = admission.count(slot, peer) else {
                            refuse(stream, &refusal);
                            continue;
                        };
                        let placed = place(&loads, index);
                        if placed.worker == index {
                            (stream, peer, slot, placed)
                        } else {
                            hand_over(&inboxes, stream, peer, slot, placed);
                            continue;
                        }
                    }
                    Err(e) => {
                        // Out of file descriptors, say: back off instead of spinning.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                Some(handed) = inbox.recv() => match TcpStream::from_std(handed.stream) {
                    Ok(stream) => (stream, handed.peer, handed.slot, handed.placed),
                    Err(e) => {
                        tracing::warn!("taking over a connection from another worker failed: {e}");
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
                _placed: placed,
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

impl Admission {
    /// `slot` (a place under the connection cap) counted for `peer`, unless it holds its share.
    fn count(&self, slot: OwnedSemaphorePermit, peer: SocketAddr) -> Option<Share> {
        if self.proxies.trusts(peer.ip()) {
            return Some(FairShare::uncounted(slot));
        }
        match self.shares.take(slot, ClientKey::of_ip(peer.ip())) {
            Ok(share) => Some(share),
            Err(over) => {
                tracing::debug!(%peer, held = over.held, "refused a connection past its client's share");
                None
            }
        }
    }
}

/// Give an accepted connection to the worker it was placed on. If that worker has stopped, the
/// connection is closed (the relay is shutting down).
fn hand_over(
    inboxes: &[mpsc::UnboundedSender<Handover>],
    stream: TcpStream,
    peer: SocketAddr,
    slot: Share,
    placed: Placed,
) {
    let stream = match stream.into_std() {
        Ok(stream) => stream,
        Err(e) => {
            tracing::warn!("handing a connection to another worker failed: {e}");
            return;
        }
    };
    let to = placed.worker;
    let _ = inboxes[to].send(Handover {
        stream,
        peer,
        slot,
        placed,
    });
}

/// One client connection and what it holds while it lives.
struct Connection {
    peer: SocketAddr,
    local: Option<SocketAddr>,
    limits: Limits,
    _slot: Share,
    _placed: Placed,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(loads: &WorkerConnections) -> Vec<usize> {
        loads
            .counts()
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect()
    }

    #[test]
    fn a_burst_accepted_by_one_worker_is_spread_over_all() {
        let loads = Metrics::default().worker_connections(2);
        let placed: Vec<Placed> = (0..16).map(|_| place(&loads, 0)).collect();
        assert_eq!(counts(&loads), [8, 8]);
        // Ties stay where they were accepted: no hand-over when nothing is gained.
        assert_eq!(placed[0].worker, 0);
        assert_eq!(placed.iter().filter(|p| p.worker == 1).count(), 8);
    }

    #[test]
    fn a_closed_connection_makes_room_on_its_worker() {
        let loads = Metrics::default().worker_connections(3);
        let mut placed: Vec<Placed> = (0..6).map(|_| place(&loads, 1)).collect();
        assert_eq!(counts(&loads), [2, 2, 2]);
        let on_two = placed.iter().position(|p| p.worker == 2).unwrap();
        drop(placed.remove(on_two));
        assert_eq!(counts(&loads), [2, 2, 1]);
        placed.push(place(&loads, 0));
        assert_eq!(placed.last().unwrap().worker, 2);
        assert_eq!(counts(&loads), [2, 2, 2]);
    }
}
