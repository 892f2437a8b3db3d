//! Phases 3 and 4 of a forward, the bodies, streamed both ways so memory stays bounded
//! whatever the clients send or the devices answer: the client's upload goes to the device as
//! it arrives (with its `Content-Length` when the client sent one), capped at
//! `limits.max_body`; the device's reply goes to the client as it arrives, capped at
//! `limits.max_reply`, with `timeouts.reply_idle` between two pieces.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use futures_util::{Stream, StreamExt};

use crate::error::RelayError;

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
) -> Result<reqwest::Body, RelayError> {
    let declared = declared_length(client_headers);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::BodyTooLarge { limit });
    }
    if let Some(length) = declared {
        device_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if declared == Some(0) || http_body::Body::is_end_stream(&body) {
        return Ok(reqwest::Body::from(Bytes::new()));
    }
    let mut sent = 0usize;
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    let capped = body
        .into_data_stream()
        .map(move |chunk| -> Result<Bytes, BoxError> {
            let chunk = chunk.map_err(|e| {
                // A deadline error passes through whole, so it is recognised as such.
                if crate::causes::find::<crate::request_body::BodyTooSlow>(&e).is_some() {
                    BoxError::from(e)
                } else {
                    BoxError::from(UploadError::Client)
                }
            })?;
            sent += chunk.len();
            if sent > limit {
                return Err(UploadError::TooLarge { limit }.into());
            }
            Ok(chunk)
        });
    Ok(reqwest::Body::wrap_stream(capped))
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
/// connection is closed rather than the body ended as if it were whole).
pub fn reply<S, F>(stream: S, limit: u64, idle: Duration, on_cut: F) -> Body
where
    S: Stream<Item = reqwest::Result<Bytes>> + Send + 'static,
    F: Fn(ReplyCut) + Send + Unpin + 'static,
{
    Body::from_stream(ReplyStream {
        inner: Box::pin(stream),
        received: 0,
        limit,
        idle,
        pause: Box::pin(tokio::time::sleep(idle)),
        on_cut,
        done: false,
    })
}

struct ReplyStream<S, F> {
    inner: Pin<Box<S>>,
    received: u64,
    limit: u64,
    idle: Duration,
    pause: Pin<Box<tokio::time::Sleep>>,
    on_cut: F,
    done: bool,
}

/// The error a cut reply ends with (hyper then aborts the response).
#[derive(Debug, thiserror::Error)]
#[error("the device's reply was cut off: {}", .0.code())]
struct ReplyCutError(ReplyCut);

impl<S, F> ReplyStream<S, F>
where
    F: Fn(ReplyCut),
{
    fn cut(&mut self, why: ReplyCut) -> Poll<Option<Result<Bytes, ReplyCutError>>> {
        self.done = true;
        (self.on_cut)(why);
        Poll::Ready(Some(Err(ReplyCutError(why))))
    }
}

impl<S, F> Stream for ReplyStream<S, F>
where
    S: Stream<Item = reqwest::Result<Bytes>>,
    F: Fn(ReplyCut) + Unpin,
{
    type Item = Result<Bytes, ReplyCutError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                if self.received > self.limit {
                    return self.cut(ReplyCut::TooLarge);
                }
                let next = tokio::time::Instant::now() + self.idle;
                self.pause.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(_))) => self.cut(ReplyCut::Failed),
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match self.pause.as_mut().poll(cx) {
                Poll::Ready(()) => self.cut(ReplyCut::Idle),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};

    fn recorder() -> (
        Arc<Mutex<Vec<ReplyCut>>>,
        impl Fn(ReplyCut) + Send + Unpin + 'static,
    ) {
        let cuts = Arc::new(Mutex::new(Vec::new()));
        let seen = cuts.clone();
        (cuts, move |why| seen.lock().unwrap().push(why))
    }

    #[tokio::test(start_paused = true)]
    async fn replies_stream_whole_within_their_limits() {
        let (cuts, on_cut) = recorder();
        let pieces = futures_util::stream::iter([Ok(Bytes::from("ab")), Ok(Bytes::from("cd"))]);
        let body = reply(pieces, 4, Duration::from_secs(1), on_cut);
        assert_eq!(body.collect().await.unwrap().to_bytes(), "abcd");
        assert!(cuts.lock().unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn an_oversized_or_stalled_reply_is_cut_off() {
        let (cuts, on_cut) = recorder();
        let pieces = futures_util::stream::iter([Ok(Bytes::from("abc")), Ok(Bytes::from("de"))]);
        assert!(
            reply(pieces, 4, Duration::from_secs(1), on_cut)
                .collect()
                .await
                .is_err()
        );
        let (stalls, on_stall) = recorder();
        let stalled = futures_util::stream::iter([Ok(Bytes::from("a"))])
            .chain(futures_util::stream::pending());
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
