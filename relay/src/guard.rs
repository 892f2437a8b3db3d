//! Who may talk to the relay. `policy` holds the operator's rules (hosts, origins, the key),
//! `client` who the client is behind trusted proxies, `access_key` the key and the per-client
//! limit on wrong guesses, `cors` the CORS layer, `security_headers` the headers every response
//! carries. The front (`crate::server::front`) applies them with the functions here:
//! [`identify_client`] first, [`check_host`] on every request (outside CORS), and
//! [`origin_then_key`] then [`check_key`] on `/api` and `/metrics` (inside CORS).

pub mod access_key;
pub mod client;
pub mod cors;
pub mod policy;
pub mod security_headers;

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, header};

use crate::error::RelayError;
use access_key::{KeyCheck, KeyFailures};
pub use client::{Client, ProxyPolicy};
pub use policy::{ACCESS_KEY_HEADER, AccessPolicy, Exposure, Unguarded};

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
    matches!(path, "/livez" | "/readyz" | "/healthz")
}

/// Who the client is (behind trusted proxies, the address they saw; the user an authenticating
/// proxy named), kept in the request for the guards and the audit log. First in line.
pub fn identify_client(proxies: &ProxyPolicy, request: &mut Request) {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = proxies.identify(peer, request.headers());
    request.extensions_mut().insert(client);
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

/// A key to check, and whose (owned, so the request need not be held across the check).
pub struct KeyCheckFor {
    presented: Option<String>,
    client: Client,
}

/// On `/api`, refuse a foreign `Origin`; then, if this path (`/api`, `/metrics`) needs the access
/// key, what to check with [`check_key`]. Runs inside CORS.
pub fn origin_then_key(
    guard: &Guard,
    request: &Request,
) -> Result<Option<KeyCheckFor>, RelayError> {
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

/// The access key, with the per-client lockout counted in the replicas' store.
pub async fn check_key(guard: &Guard, check: KeyCheckFor) -> Result<(), RelayError> {
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
