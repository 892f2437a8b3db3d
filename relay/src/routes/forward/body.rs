//! Phases 3 and 4 of a forward, the bodies, streamed both ways so memory stays bounded
//! whatever the clients send or the devices answer: the client's upload goes to the device as
//! it arrives (with its `Content-Length` when the client sent one), capped at
//! `limits.max_body` or the device's own limit, the smaller; the device's reply goes to the
//! client as it arrives, capped at `limits.max_reply`, with `timeouts.reply_idle` between two
//! pieces.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use crate::error::RelayError;
use crate::inventory::pool::{BoxError, Outgoing};

/// Why an upload stopped (found in the device call's error by `classify`).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the client's request body failed")]
    Client,
}

/// The declared `Content-Length` of a request, if any.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The client's body as the body of the device call, refused early when its declared length
/// is over `limit`. `headers` (the device's) gain the declared `Content-Length`.
pub fn upload(
    body: Body,
    client_headers: &HeaderMap,
    device_headers: &mut HeaderMap,
    limit: usize,
) -> Result<Outgoing, RelayError> {
    let declared = declared_length(client_headers);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::BodyTooLarge { limit });
    }
    if let Some(length) = declared {
        device_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    let body = if declared == Some(0) || http_body::Body::is_end_stream(&body) {
        Body::empty()
    } else {
        body
    };
    Ok(Upload {
        inner: body,
        sent: 0,
        limit,
    }
    .boxed_unsync())
}

/// The client's body on its way to the device, counted against the limit.
struct Upload {
    inner: Body,
    sent: usize,
    limit: usize,
}

impl http_body::Body for Upload {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => {
                // A deadline error passes through whole, so it is recognised as such.
                let e = if crate::causes::find::<crate::admission::deadline::BodyTooSlow>(&e)
                    .is_some()
                {
                    BoxError::from(e)
                } else {
                    BoxError::from(UploadError::Client)
                };
                return Poll::Ready(Some(Err(e)));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            self.sent += data.len();
            if self.sent > self.limit {
                let limit = self.limit;
                return Poll::Ready(Some(Err(UploadError::TooLarge { limit }.into())));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How a reply stream ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyCut {
    /// The device paused longer than the idle timeout.
    Idle,
    /// The reply grew past the limit.
    TooLarge,
    /// The device's connection failed mid-body.
    Failed,
}

impl ReplyCut {
    /// The relay error code the cut would have had, had the headers not been sent yet.
    pub fn code(self) -> &'static str {
        match self {
            ReplyCut::Idle => "timeout",
            ReplyCut::TooLarge => "body_too_large",
            ReplyCut::Failed => "device_unreachable",
        }
    }
}

/// The device's reply body, streamed: at most `limit` bytes, at most `idle` between pieces.
/// `on_cut` hears how it ended early, if it did; the client then sees the reply cut off (the
/// connection is closed rather than the body ended as if it were whole). Not boxed: the
/// forward boxes it once, with what it holds until the reply has been sent.
pub fn reply<B, F>(inner: B, limit: u64, idle: Duration, on_cut: F) -> CappedReply<B, F>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    F: FnOnce(ReplyCut) + Send + Unpin + 'static,
{
    CappedReply {
        inner,
        received: 0,
        limit,
        idle,
        pause: None,
        waiting: false,
        on_cut: Some(on_cut),
        cut: None,
        done: false,
    }
}

/// A reply on its way to the client (see [`reply`]).
pub struct CappedReply<B, F> {
    inner: B,
    received: u64,
    limit: u64,
    idle: Duration,
    /// The idle timer, made the first time the device keeps the client waiting.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Whether the timer runs (since the last piece).
    waiting: bool,
    on_cut: Option<F>,
    /// Cut off, and the error not given to the server yet.
    cut: Option<ReplyCut>,
    done: bool,
}

/// The error a cut reply ends with (hyper then aborts the response).
#[derive(Debug, thiserror::Error)]
#[error("the device's reply was cut off: {}", .0.code())]
pub struct ReplyCutError(ReplyCut);

impl<B, F: FnOnce(ReplyCut)> CappedReply<B, F> {
    /// End the reply early. The error comes on the next poll: the server first gets a
    /// `Pending`, on which it sends what it holds (the head at least), so the client sees the
    /// status and a reply cut off rather than a connection closed without an answer.
    fn cut(
        &mut self,
        why: ReplyCut,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ReplyCutError>>> {
        self.cut = Some(why);
        if let Some(on_cut) = self.on_cut.take() {
            on_cut(why);
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<B, F> http_body::Body for CappedReply<B, F>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    F: FnOnce(ReplyCut) + Unpin,
{
    type Data = Bytes;
    type Error = ReplyCutError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ReplyCutError>>> {
        if let Some(why) = self.cut.take() {
            self.done = true;
            return Poll::Ready(Some(Err(ReplyCutError(why))));
        }
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                    if self.received > self.limit {
                        return self.cut(ReplyCut::TooLarge, cx);
                    }
                }
                self.waiting = false;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(_))) => self.cut(ReplyCut::Failed, cx),
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                let (idle, waiting) = (self.idle, self.waiting);
                self.waiting = true;
                let deadline = tokio::time::Instant::now() + idle;
                let pause = match &mut self.pause {
                    Some(pause) => {
                        if !waiting {
                            pause.as_mut().reset(deadline);
                        }
                        pause
                    }
                    none => none.insert(Box::pin(tokio::time::sleep_until(deadline))),
                };
                match pause.as_mut().poll(cx) {
                    Poll::Ready(()) => self.cut(ReplyCut::Idle, cx),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.cut.is_none() && (self.done || self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{Stream, StreamExt};
    use http_body_util::StreamBody;
    use std::sync::{Arc, Mutex};

    fn recorder() -> (
        Arc<Mutex<Vec<ReplyCut>>>,
        impl Fn(ReplyCut) + Send + Unpin + 'static,
    ) {
        let cuts = Arc::new(Mutex::new(Vec::new()));
        let seen = cuts.clone();
        (cuts, move |why| seen.lock().unwrap().push(why))
    }

    /// A body of the pieces `stream` gives.
    fn pieces(
        stream: impl Stream<Item = Bytes> + Send + Unpin + 'static,
    ) -> impl http_body::Body<Data = Bytes, Error = std::io::Error> + Send + Unpin + 'static {
        StreamBody::new(stream.map(|b| Ok::<_, std::io::Error>(Frame::data(b))))
    }

    #[tokio::test(start_paused = true)]
    async fn replies_stream_whole_within_their_limits() {
        let (cuts, on_cut) = recorder();
        let whole = pieces(futures_util::stream::iter([
            Bytes::from("ab"),
            Bytes::from("cd"),
        ]));
        let body = reply(whole, 4, Duration::from_secs(1), on_cut);
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abcd");
        assert!(cuts.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_oversized_or_stalled_reply_is_cut_off() {
        let (cuts, on_cut) = recorder();
        let long = pieces(futures_util::stream::iter([
            Bytes::from("abc"),
            Bytes::from("de"),
        ]));
        assert!(
            reply(long, 4, Duration::from_secs(1), on_cut)
                .collect()
                .await
                .is_err()
        );
        let (stalls, on_stall) = recorder();
        let stalled = pieces(
            futures_util::stream::iter([Bytes::from("a")]).chain(futures_util::stream::pending()),
        );
        assert!(
            reply(stalled, 4, Duration::from_secs(1), on_stall)
                .collect()
                .await
                .is_err()
        );
        assert_eq!(*cuts.lock().unwrap(), [ReplyCut::TooLarge]);
        assert_eq!(*stalls.lock().unwrap(), [ReplyCut::Idle]);
    }
}
