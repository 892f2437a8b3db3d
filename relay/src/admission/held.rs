//! The one way the relay holds something "until the reply has been sent": a body that keeps a
//! guard (an in-flight permit, a budget slot, or both as a tuple) until it has ended, failed or
//! been dropped. The guard goes at the end of the stream, not when the server gets round to
//! dropping the body, so a slot frees as soon as the client has the last byte.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};

/// `body`, holding `guard` until it ends.
pub struct Held<B, G> {
    body: B,
    guard: Option<G>,
}

impl<B, G> Held<B, G> {
    pub fn new(body: B, guard: G) -> Self {
        Self {
            body,
            guard: Some(guard),
        }
    }

    /// Whether the guard is still held (tests).
    #[cfg(test)]
    fn holds(&self) -> bool {
        self.guard.is_some()
    }
}

impl<B, G> http_body::Body for Held<B, G>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    G: Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(None | Some(Err(_))) = polled {
            this.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// `response` with `guard` held until its body ends: one allocation (the body's box).
pub fn hold<G: Send + Unpin + 'static>(response: Response, guard: G) -> Response {
    response.map(|body| Body::new(Held::new(body, guard)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts itself out when dropped.
    struct Guard(Arc<AtomicUsize>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn the_guard_is_let_go_when_the_body_ends_not_before() {
        let released = Arc::new(AtomicUsize::new(0));
        let mut body = Held::new(Body::from("abc"), Guard(released.clone()));
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "abc");
        assert!(body.holds(), "the body has not said it ended");
        assert_eq!(released.load(Ordering::SeqCst), 0);
        assert!(body.frame().await.is_none());
        assert_eq!(
            released.load(Ordering::SeqCst),
            1,
            "at the end of the stream"
        );
        assert!(!body.holds());
        drop(body);
        assert_eq!(released.load(Ordering::SeqCst), 1, "once");
    }

    #[tokio::test]
    async fn a_failed_or_dropped_body_lets_go_too() {
        let released = Arc::new(AtomicUsize::new(0));
        let failing = Body::from_stream(futures_util::stream::iter([Err::<Bytes, _>(
            std::io::Error::other("cut"),
        )]));
        let mut body = Held::new(failing, Guard(released.clone()));
        assert!(body.frame().await.unwrap().is_err());
        assert_eq!(released.load(Ordering::SeqCst), 1);
        let unread = Held::new(Body::from("abc"), Guard(released.clone()));
        drop(unread);
        assert_eq!(released.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_held_response_keeps_its_status_headers_and_body() {
        let released = Arc::new(AtomicUsize::new(0));
        let mut response = Response::new(Body::from("abc"));
        *response.status_mut() = axum::http::StatusCode::ACCEPTED;
        response
            .headers_mut()
            .insert("x-a", axum::http::HeaderValue::from_static("1"));
        let held = hold(response, Guard(released.clone()));
        assert_eq!(held.status(), 202);
        assert_eq!(held.headers()["x-a"], "1");
        let bytes = held.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(bytes, "abc");
        assert_eq!(released.load(Ordering::SeqCst), 1);
    }
}
