//! What stands in front of every simulated device's routes, in one layer: the `Date` header
//! from the device's own clock, the cap on requests in progress, and the request body read
//! in full — within the body-read timeout and the device's size cap — before any handler
//! runs.
//!
//! Reading the whole body first is also what keeps HTTP/1 keep-alive honest: a handler that
//! answered early (a 401, a 429) used to leave the body unread, and hyper then closed the
//! connection after the reply without saying so; a client that had already sent its next
//! request on it (python-requests sends the body in a second write) saw the connection close
//! unanswered. Now a body is always read, and when the device refuses to read one (too
//! large, too slow, too many requests) the reply says `Connection: close`.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, DATE, EXPECT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::payload::declared_length;

/// How long the rest of a refused body is read and dropped before the connection closes.
pub const LINGER: Duration = Duration::from_secs(2);
/// How much of a refused body is read and dropped at most.
pub const LINGER_BYTES: usize = 16 * 1024 * 1024;

/// Why a device refused a request before its handler ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More requests are in progress than the device takes.
    Busy { limit: usize },
    /// The body is larger than the device accepts.
    TooLarge { limit: usize },
    /// The body did not arrive within the body-read timeout.
    BodyTimeout { after: Duration },
    /// The body could not be read (the client broke off, a malformed chunk).
    Unreadable,
}

/// How one kind of device guards its routes.
#[derive(Clone, Copy, Debug)]
pub struct DeviceGuard {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Requests in progress at once.
    pub max_in_flight: usize,
    /// The device's answer to a refusal, in its own error shape.
    pub refuse: fn(&Refusal, &Parts) -> Response,
}

struct GuardState {
    guard: DeviceGuard,
    slots: Arc<Semaphore>,
    body_read: Duration,
    clock: Clock,
}

/// Wrap a device's routes in its guard.
pub fn guarded(routes: Router, guard: DeviceGuard, body_read: Duration, clock: Clock) -> Router {
    let state = Arc::new(GuardState {
        slots: Arc::new(Semaphore::new(guard.max_in_flight.max(1))),
        guard,
        body_read,
        clock,
    });
    routes.layer(from_fn_with_state(state, guard_request))
}

async fn guard_request(
    State(state): State<Arc<GuardState>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let response = match Arc::clone(&state.slots).try_acquire_owned() {
        Err(_) => {
            let limit = state.guard.max_in_flight;
            refused(&state, &Refusal::Busy { limit }, &parts, Some(body))
        }
        Ok(_slot) => {
            let limit = state.guard.body_limit;
            match read_body(&parts.headers, body, limit, state.body_read).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err((refusal, rest)) => refused(&state, &refusal, &parts, rest),
            }
        }
    };
    dated(response, &state.clock)
}

/// The device's refusal, telling the client not to reuse the connection (the body was not
/// read, so the connection cannot carry another request). What is left of the body, if it
/// may still arrive, lingers.
fn refused(state: &GuardState, refusal: &Refusal, parts: &Parts, rest: Option<Body>) -> Response {
    // A client that asked `Expect: 100-continue` sends no body unless told to.
    if let Some(rest) = rest.filter(|_| !parts.headers.contains_key(EXPECT)) {
        tokio::spawn(linger(rest));
    }
    let mut response = (state.guard.refuse)(refusal, parts);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Read and drop what is left of a refused body, for at most [`LINGER`] and [`LINGER_BYTES`].
async fn linger(mut rest: Body) {
    let _ = tokio::time::timeout(LINGER, async {
        let mut dropped = 0;
        while let Some(Ok(frame)) = rest.frame().await {
            dropped += frame.data_ref().map_or(0, Bytes::len);
            if dropped > LINGER_BYTES {
                break;
            }
        }
    })
    .await;
}

/// Read a whole body: at most `limit` bytes, within `within`. A refusal hands back what is
/// left of the body when more of it may still arrive.
async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    limit: usize,
    within: Duration,
) -> Result<Bytes, (Refusal, Option<Body>)> {
    let too_large = Refusal::TooLarge { limit };
    if declared_length(headers).is_some_and(|length| length > limit as u64) {
        return Err((too_large, Some(body)));
    }
    let mut whole = Vec::new();
    let read = tokio::time::timeout(within, async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| Refusal::Unreadable)?;
            if let Some(data) = frame.data_ref() {
                if whole.len() + data.len() > limit {
                    return Err(too_large.clone());
                }
                whole.extend_from_slice(data);
            }
        }
        Ok(())
    })
    .await;
    match read {
        Ok(Ok(())) => Ok(Bytes::from(whole)),
        Ok(Err(refusal @ Refusal::TooLarge { .. })) => Err((refusal, Some(body))),
        Ok(Err(refusal)) => Err((refusal, None)),
        Err(_) => Err((Refusal::BodyTimeout { after: within }, None)),
    }
}

/// Every reply carries the device's own time, so a sped-up or hand-moved clock shows.
fn dated(mut response: Response, clock: &Clock) -> Response {
    let now = UNIX_EPOCH + Duration::from_micros(clock.now_micros().max(0) as u64);
    if let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        response.headers_mut().insert(DATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(headers: &HeaderMap, body: &'static str) -> Result<Bytes, Refusal> {
        read_body(headers, Body::from(body), 10, Duration::from_secs(1))
            .await
            .map_err(|(refusal, _)| refusal)
    }

    #[tokio::test]
    async fn bodies_are_read_whole_or_refused() {
        let headers = HeaderMap::new();
        assert_eq!(read(&headers, "{}").await, Ok(Bytes::from("{}")));
        assert_eq!(
            read(&headers, "0123456789").await,
            Ok(Bytes::from("0123456789"))
        );
        let too_large = Err(Refusal::TooLarge { limit: 10 });
        assert_eq!(read(&headers, "0123456789x").await, too_large);
        let mut declared = HeaderMap::new();
        declared.insert("content-length", HeaderValue::from_static("11"));
        assert_eq!(read(&declared, "").await, too_large);
    }

    #[test]
    fn the_date_header_follows_the_device_clock() {
        let clock = Clock::manual();
        clock.advance(Duration::from_secs(86_400 * 365));
        let response = dated(Response::new(Body::empty()), &clock);
        let date = response.headers()[DATE].to_str().unwrap();
        let shown = httpdate::parse_http_date(date).unwrap();
        let expected = UNIX_EPOCH + Duration::from_micros(clock.now_micros() as u64);
        let diff = expected.duration_since(shown).unwrap_or_default();
        assert!(diff < Duration::from_secs(1), "{date}");
    }
}
