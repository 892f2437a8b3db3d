//! Who may talk to the relay. `policy` holds the operator's rules (hosts, origins, the key),
//! `client` who the client is behind trusted proxies, `access_key` the key and the per-client
//! limit on wrong guesses, `cors` the CORS layer, `security_headers` the headers every response
//! carries. The middlewares here apply them: [`identify_client`] first, [`host_guard`] on every
//! request (outside CORS) and [`api_guard`] on `/api` and `/metrics` (inside CORS).

pub mod access_key;
pub mod client;
pub mod cors;
pub mod policy;
pub mod security_headers;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::RelayError;
use access_key::{KeyCheck, KeyFailures};
pub use client::{Client, ProxyPolicy};
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
fn request_host(request: &Request) -> Option<String> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
}

/// Paths exempt from the `Host` check: load balancers and kubelets probe by pod address.
fn host_check_exempt(path: &str) -> bool {
    matches!(path, "/livez" | "/readyz" | "/healthz")
}

/// Middleware first in line: who the client is (behind trusted proxies, the address they saw;
/// the user an authenticating proxy named), kept for the guards and recorded in the request's
/// log span (`client`, and `user` when a proxy named one).
pub async fn identify_client(
    State(proxies): State<Arc<ProxyPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = proxies.identify(peer, request.headers());
    let span = tracing::Span::current();
    span.record("client", tracing::field::display(client.addr));
    if let Some(user) = &client.user {
        span.record("user", user.as_str());
    }
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// Middleware on every request (outside CORS): refuse unknown `Host`s.
pub async fn host_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if !host_check_exempt(request.uri().path()) {
        let host = request_host(&request).unwrap_or_default();
        let local = request.extensions().get::<LocalAddr>().map(|l| l.0);
        if !guard.access.host_allowed(&host, guard.bound, local) {
            return RelayError::HostNotAllowed(host).into_response();
        }
    }
    next.run(request).await
}

/// Middleware inside CORS: on `/api`, refuse foreign `Origin`s; on `/api` and `/metrics`,
/// check the access key (with the per-address limit on wrong keys).
pub async fn api_guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let key_check = match origin_then_key(&guard, &request) {
        Ok(key_check) => key_check,
        Err(refusal) => return refusal.into_response(),
    };
    if let Some(key_check) = key_check
        && let Err(refusal) = check_key(&guard, key_check).await
    {
        return refusal.into_response();
    }
    next.run(request).await
}

/// A key to check, and whose.
struct KeyCheckFor {
    presented: Option<String>,
    client: Client,
}

/// On `/api`, refuse a foreign `Origin`; then, if this path needs the access key, what to check.
fn origin_then_key(guard: &Guard, request: &Request) -> Result<Option<KeyCheckFor>, RelayError> {
    let path = request.uri().path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api && let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = request_host(request).unwrap_or_default();
        if !guard.access.origin_allowed(origin, &host) {
            return Err(RelayError::OriginNotAllowed(origin.to_owned()));
        }
    }
    if guard.access.access_key.is_none() || !(is_api || path == "/metrics") {
        return Ok(None);
    }
    // Set by `identify_client`, first in line.
    let client = request
        .extensions()
        .get::<Client>()
        .cloned()
        .unwrap_or(Client {
            addr: IpAddr::from([0, 0, 0, 0]),
            proxy: None,
            user: None,
        });
    Ok(Some(KeyCheckFor {
        presented: presented_key(request.headers(), path == "/metrics"),
        client,
    }))
}

/// The access key, with the per-client lockout counted in the shared state.
async fn check_key(guard: &Guard, check: KeyCheckFor) -> Result<(), RelayError> {
    let Some(key) = &guard.access.access_key else {
        return Ok(());
    };
    let lockout_key = check.client.lockout_key();
    match guard
        .key_failures
        .check(key, check.presented.as_deref(), &lockout_key)
        .await
    {
        KeyCheck::Accepted => Ok(()),
        KeyCheck::Missing => Err(RelayError::AccessKeyRequired),
        KeyCheck::Wrong => Err(RelayError::AccessKeyWrong {
            client: check.client.addr,
        }),
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
