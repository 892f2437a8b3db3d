//! The client's request body, bounded in time: the whole body must arrive within
//! `limits.body_read_timeout` of the request, or reading it fails with [`BodyTooSlow`] (a
//! client that trickles a body one byte every few seconds no longer holds a connection).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};

/// The body did not arrive within the limit.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the request body did not arrive within {secs} s")]
pub struct BodyTooSlow {
    pub secs: u64,
}

/// A body that fails once `limit` has passed since it was wrapped. Its timer is made only the
/// first time the body keeps the reader waiting: a body that arrived with its headers (most
/// uploads) costs no timer.
pub struct DeadlineBody {
    inner: Body,
    /// When the body must have arrived.
    deadline: tokio::time::Instant,
    /// The timer, made on the first wait.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    limit: Duration,
}

impl DeadlineBody {
    pub fn new(inner: Body, limit: Duration) -> Self {
        Self {
            inner,
            deadline: tokio::time::Instant::now() + limit,
            timer: None,
            limit,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let deadline = self.deadline;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow {
                secs: self.limit.as_secs().max(1),
            })))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use http_body_util::BodyExt;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_fails_at_the_deadline() {
        let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("a"))]);
        let stalled = first.chain(futures_util::stream::pending());
        let body = DeadlineBody::new(Body::from_stream(stalled), Duration::from_secs(5));
        let err = body.collect().await.unwrap_err();
        assert!(crate::causes::find::<BodyTooSlow>(&err).is_some(), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_counts_from_the_request_not_from_the_first_wait() {
        // Nobody reads the body for 4 s, then it stalls: it fails 5 s after it was wrapped,
        // not 5 s after the first wait.
        let started = tokio::time::Instant::now();
        let stalled = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
        let body = DeadlineBody::new(Body::from_stream(stalled), Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(4)).await;
        let err = body.collect().await.unwrap_err();
        assert!(crate::causes::find::<BodyTooSlow>(&err).is_some(), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_complete_body_is_untouched() {
        let body = DeadlineBody::new(Body::from("abc"), Duration::from_secs(5));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "abc");
    }
}
