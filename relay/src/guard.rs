//! Who may talk to the relay. `policy` holds the operator's rules (hosts, origins, the key),
//! `access_key` the key and the per-address limit on wrong guesses, `cors` the CORS layer,
//! `security_headers` the headers every response carries. The two middlewares here apply them:
//! [`host_guard`] on every request (outside CORS) and [`api_guard`] on `/api` and `/metrics`
//! (inside CORS).

pub mod access_key;
pub mod cors;
pub mod policy;
pub mod security_headers;

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::RelayError;
use access_key::{KeyCheck, KeyFailures};
pub use policy::{ACCESS_KEY_HEADER, AccessPolicy};

/// The address a connection reached on the relay's side (set by the server per connection).
#[derive(Clone, Copy, Debug)]
pub struct LocalAddr(pub SocketAddr);

/// What the guards need: the operator's policy, the wrong-key counts, and the bound address.
#[derive(Clone, Debug)]
pub struct Guard {
    pub access: Arc<AccessPolicy>,
    pub key_failures: Arc<KeyFailures>,
    pub bound: Option<SocketAddr>,
}

/// The `Host` of a request: the header, or the URI authority (HTTP/2).
fn request_host(request: &Request) -> Option<Cow<'_, str>> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(Cow::Borrowed)
        .or_else(|| request.uri().authority().map(|a| Cow::Borrowed(a.as_str())))
}

/// Paths exempt from the `Host` check: load balancers and kubelets probe by pod address.
fn host_check_exempt(path: &str) -> bool {
    path == "/healthz"
}

/// Refuse unknown `Host`s (every request, before CORS).
pub fn check_host(guard: &Guard, request: &Request) -> Result<(), RelayError> {
    if host_check_exempt(request.uri().path()) {
        return Ok(());
    }
    let host = request_host(request).unwrap_or_default();
    let local = request.extensions().get::<LocalAddr>().map(|l| l.0);
    if !guard.access.host_allowed(&host, guard.bound, local) {
        return Err(RelayError::HostNotAllowed(host.into_owned()));
    }
    Ok(())
}

/// Middleware on every request (outside CORS): [`check_host`].
pub async fn host_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    match check_host(&guard, &request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// Middleware inside CORS: [`check_api`].
pub async fn api_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    match check_api(&guard, &request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

/// On `/api`, refuse foreign `Origin`s; on `/api` and `/metrics`, check the access key (with
/// the per-address limit on wrong keys). Runs inside CORS.
pub fn check_api(guard: &Guard, request: &Request) -> Result<(), RelayError> {
    let path = request.uri().path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api && let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = request_host(request).unwrap_or_default();
        if !guard.access.origin_allowed(origin, &host) {
            return Err(RelayError::OriginNotAllowed(origin.to_owned()));
        }
    }
    let Some(key) = &guard.access.access_key else {
        return Ok(());
    };
    if !(is_api || path == "/metrics") {
        return Ok(());
    }
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let presented = presented_key(request.headers(), path == "/metrics");
    let now = std::time::Instant::now();
    match guard
        .key_failures
        .check(key, presented.as_deref(), client, now)
    {
        KeyCheck::Accepted => Ok(()),
        KeyCheck::Missing => Err(RelayError::AccessKeyRequired),
        KeyCheck::Wrong => Err(RelayError::AccessKeyWrong { client }),
        KeyCheck::Locked { retry_after_secs } => Err(RelayError::RateLimited { retry_after_secs }),
    }
}

/// The key from `x-tokendeck-access-key`, or (for Prometheus on `/metrics`) a bearer token.
fn presented_key(headers: &HeaderMap, allow_bearer: bool) -> Option<String> {
    if let Some(key) = headers.get(ACCESS_KEY_HEADER) {
        return key.to_str().ok().map(str::to_owned);
    }
    if allow_bearer {
        return headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::to_owned);
    }
    None
}
