//! The relay's front: every request passes through [`Front::handle`], which does what a stack
//! of middleware would, in order, as plain function calls (no layer is cloned or allocated per
//! request; the call dispatched in step 7 is boxed, to keep the futures above it small):
//!
//! 1. request id (`super::request_id`); secret headers marked sensitive before anything can
//!    log them; who the client is (behind trusted proxies, the address they saw, and the user
//!    an authenticating proxy names);
//! 2. the request body's deadline (bodies only: a `GET` has nothing to wait for);
//! 3. the `Host` check (DNS-rebinding defence; `/livez`, `/readyz` and `/healthz` exempt);
//! 4. CORS: preflights answered here;
//! 5. the `Origin` and access-key check (`/api`, `/metrics`);
//! 6. load shedding on `/api` (`crate::admission::shedding`): past `limits.max_in_flight`, or
//!    past the client's share of it, `503 overloaded` at once; the permit is held until the
//!    reply has been passed on;
//! 7. a forward to `routes::forward` directly (the hot path, which holds the permit with its
//!    own reply), anything else to the router;
//!
//! and on the way out: CORS headers (for what passed step 4), the error layer (the one place
//! relay errors are logged and counted: `crate::error::log_relay_error`), the security headers
//! every response carries, the request id, and secret headers marked. A request is logged at
//! `debug` (one span with id, method, path and client; one line when it ends) — at `info` when
//! an authenticating proxy names users, as an audit trail; `/metrics` counts them all.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tracing::Instrument;

use super::request_id::{REQUEST_ID, RequestIds};
use crate::admission::deadline::DeadlineBody;
use crate::admission::fair_share::{ClientKey, FairShare};
use crate::admission::{held, shedding};
use crate::config::Limits;
use crate::error::{RelayError, log_relay_error};
use crate::guard::cors::Cors;
use crate::guard::{self, Guard, security_headers};
use crate::metrics::Metrics;
use crate::routes::forward::{self, headers};
use crate::state::AppState;

/// The headers every response carries, unless its handler set them (the console's page sets
/// its own CSP).
fn add_security_headers(headers: &mut HeaderMap) {
    for (name, value) in security_headers::EVERY_RESPONSE {
        if let axum::http::header::Entry::Vacant(entry) = headers.entry(name) {
            entry.insert(HeaderValue::from_static(value));
        }
    }
}

/// Everything in front of the routes. Cheap to clone (one shared allocation).
#[derive(Clone)]
pub struct Front {
    shared: Arc<Shared>,
}

struct Shared {
    routes: Router,
    state: AppState,
    guard: Guard,
    cors: Cors,
    limits: Limits,
    metrics: Arc<Metrics>,
    in_flight: Arc<Semaphore>,
    in_flight_shares: Arc<FairShare>,
    ids: RequestIds,
}

impl Front {
    /// `routes` (already given their state) behind the front, with `state`'s policies.
    pub fn new(routes: Router, state: AppState) -> Self {
        Self {
            shared: Arc::new(Shared {
                routes,
                guard: Guard::from_ref(&state),
                cors: Cors::new(
                    &state.access,
                    headers::allowed_request_headers(),
                    headers::allowed_response_headers(),
                ),
                limits: state.limits,
                metrics: state.metrics.clone(),
                in_flight: state.in_flight.clone(),
                in_flight_shares: state.in_flight_shares.clone(),
                ids: RequestIds::new(),
                state,
            }),
        }
    }

    /// One request, start to finish.
    pub async fn handle(&self, mut request: Request) -> Response {
        let shared = &*self.shared;
        let id = shared.ids.assign(request.headers_mut());
        headers::mark_secrets(request.headers_mut());
        guard::identify_client(&shared.state.proxies, &mut request);
        let span = shared.span(&request, &id);
        let started = (!span.is_disabled()).then(Instant::now);
        let mut response = shared.respond(request).instrument(span.clone()).await;
        span.in_scope(|| log_relay_error(&shared.metrics, &response));
        let headers = response.headers_mut();
        add_security_headers(headers);
        if !headers.contains_key(&REQUEST_ID) {
            headers.insert(REQUEST_ID, id);
        }
        headers::mark_secrets(headers);
        if let Some(started) = started {
            let _entered = span.enter();
            tracing::debug!(
                status = response.status().as_u16(),
                elapsed_us = started.elapsed().as_micros() as u64,
                "answered"
            );
        }
        response
    }
}

impl Shared {
    /// The request's log span: id, method, path (never the query: it could carry something
    /// secret), and who the client is. At `info` when a proxy names users, so every line in the
    /// request — a pin, a refusal, the forwarded call — says who; at `debug` otherwise.
    fn span(&self, request: &Request, id: &HeaderValue) -> tracing::Span {
        let client = request.extensions().get::<guard::Client>();
        let addr = client.map(|c| tracing::field::display(c.addr));
        let user = client.and_then(|c| c.user.as_deref());
        macro_rules! span_at {
            ($span:ident) => {
                tracing::$span!(
                    "request",
                    id = id.to_str().unwrap_or_default(),
                    method = %request.method(),
                    path = %request.uri().path(),
                    client = addr,
                    user,
                )
            };
        }
        if self.state.proxies.names_users() {
            span_at!(info_span)
        } else {
            span_at!(debug_span)
        }
    }

    /// Steps 2 to 7, and CORS on the way out.
    async fn respond(&self, request: Request) -> Response {
        let request = if http_body::Body::is_end_stream(request.body()) {
            request
        } else {
            let limit = self.limits.body_read_timeout;
            request.map(|body| Body::new(DeadlineBody::new(body, limit)))
        };
        if let Err(refusal) = guard::check_host(&self.guard, &request) {
            return refusal.into_response();
        }
        if Cors::is_preflight(request.method()) {
            let mut answer = Response::new(Body::empty());
            *answer.headers_mut() = self.cors.preflight(request.headers());
            return answer;
        }
        let cors = self.cors.for_request(request.headers());
        let mut response = self.guarded(request).await;
        // Room for what CORS and the way out add, in one allocation.
        response.headers_mut().reserve(12);
        self.cors.decorate(cors, response.headers_mut());
        response
    }

    /// Steps 5 to 7.
    async fn guarded(&self, request: Request) -> Response {
        match guard::origin_then_key(&self.guard, &request) {
            Err(refusal) => return refusal.into_response(),
            Ok(Some(key)) => {
                // Boxed, as the calls below (its future, the replicas' store's, is KBs).
                if let Err(refusal) = Box::pin(guard::check_key(&self.guard, key)).await {
                    return refusal.into_response();
                }
            }
            Ok(None) => {}
        }
        let permit = if shedding::covers(request.uri().path()) {
            let client = fairness_key(request.extensions().get::<guard::Client>());
            match shedding::admit(&self.in_flight, &self.in_flight_shares, client) {
                Ok(permit) => Some(permit),
                Err(shed) => return RelayError::from(shed).into_response(),
            }
        } else {
            None
        };
        // Boxed, each: a future is copied whole at every `.await` above it (this one's, the
        // front's, hyper's), and a forward's is a few KB; one allocation costs less.
        if forward::is_forward(request.uri().path()) {
            // The forward holds the permit with its own guards, in its reply's one body.
            return Box::pin(forward::forward(&self.state, request, permit)).await;
        }
        let response = match Box::pin(self.routes.clone().oneshot(request)).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        match permit {
            // Held until the response body is finished, so streams count too.
            Some(permit) => held::hold(response, permit),
            None => response,
        }
    }
}

/// Whom a request's place under the in-flight cap is counted for: its client (behind trusted
/// proxies, the one they name), by address or IPv6 /64. No allocation.
fn fairness_key(client: Option<&guard::Client>) -> ClientKey {
    ClientKey::of_ip(client.map_or(IpAddr::from([0, 0, 0, 0]), |c| c.addr))
}

/// As a tower service (for tests that `oneshot` the whole relay, and for embedding it in a
/// router).
impl tower::Service<Request> for Front {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let front = self.clone();
        Box::pin(async move { Ok(front.handle(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's future is copied whole at each `.await` on its way down (and once more into
    /// hyper): the KB-sized parts under the front (a forward, the router, an access-key check
    /// against the replicas' store) are boxed so it stays small. Before: 5.8 KB, and the copies
    /// were 7 % of the relay's CPU under load.
    #[tokio::test]
    async fn a_requests_future_stays_small() {
        let inventory =
            crate::inventory::Inventory::new(vec![], crate::inventory::Timeouts::default())
                .unwrap();
        let state = AppState::new(inventory, None);
        let front = crate::front(state.clone());
        let handle = front.handle(Request::new(Body::empty()));
        assert!(
            std::mem::size_of_val(&handle) <= 3072,
            "{} bytes",
            std::mem::size_of_val(&handle)
        );
        let forward = forward::forward(&state, Request::new(Body::empty()), None);
        assert!(
            std::mem::size_of_val(&forward) <= 3584,
            "{} bytes",
            std::mem::size_of_val(&forward)
        );
    }
}
