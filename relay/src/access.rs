//! Who may talk to the relay: the `Host` check (DNS-rebinding defence), the `Origin` check on
//! `/api` (cross-site request forgery), and the access key (see [`crate::access_key`]).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use reqwest::Url;

use crate::AppState;
use crate::access_key::{AccessKey, KeyCheck};
use crate::error::RelayError;

/// Header the app sends the access key in.
pub use shared::wire::ACCESS_KEY_HEADER;

/// The operator's rules for clients of the relay.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// Host names (lower case, no port) the relay answers to, besides `localhost`, loopback
    /// addresses and the address it is bound to.
    pub allowed_hosts: Vec<String>,
    /// Origins (`scheme://host[:port]`) allowed to call the API cross-origin.
    pub allowed_origins: Vec<String>,
    /// The key clients must present on `/api` and `/metrics`, if any.
    pub access_key: Option<AccessKey>,
    /// The operator's explicit opt-out from the access-key requirement on a public address.
    pub no_access_key: bool,
}

impl AccessPolicy {
    /// Validate the operator's lists; errors name the offending key.
    pub fn new(
        hosts: Vec<String>,
        origins: Vec<String>,
        access_key: Option<String>,
        no_access_key: bool,
    ) -> Result<Self, (&'static str, String)> {
        let mut allowed_hosts = Vec::new();
        for host in hosts {
            let lowered = host.trim().to_ascii_lowercase();
            if lowered.is_empty()
                || lowered.contains(['/', '@', '*', ' ', ':'])
                || lowered.starts_with('.')
            {
                return Err((
                    "allowed_hosts",
                    format!("{host:?} must be a plain host name without scheme, port or wildcard"),
                ));
            }
            allowed_hosts.push(lowered);
        }
        let mut allowed_origins = Vec::new();
        for origin in origins {
            allowed_origins.push(normalise_origin(&origin).ok_or((
                "allowed_origins",
                format!("{origin:?} must be an origin like https://portal.example.com (never *)"),
            ))?);
        }
        let access_key = access_key
            .map(|k| AccessKey::new(&k))
            .transpose()
            .map_err(|m| ("access_key", m))?;
        Ok(Self {
            allowed_hosts,
            allowed_origins,
            access_key,
            no_access_key,
        })
    }

    pub fn requires_key(&self) -> bool {
        self.access_key.is_some()
    }

    /// Does the relay answer to this `Host` header? `bound` is the address it listens on.
    pub fn host_allowed(&self, host_header: &str, bound: Option<SocketAddr>) -> bool {
        let Some(host) = host_of_authority(host_header) else {
            return false;
        };
        if host == "localhost" {
            return true;
        }
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return ip.is_loopback()
                || bound.is_some_and(|b| !b.ip().is_unspecified() && b.ip() == ip);
        }
        self.allowed_hosts.contains(&host)
    }

    /// May a page at `origin` call the API? Same origin (by host and port) always may.
    pub fn origin_allowed(&self, origin: &str, host_header: &str) -> bool {
        let Some(normal) = normalise_origin(origin) else {
            return false;
        };
        if self.allowed_origins.contains(&normal) {
            return true;
        }
        Url::parse(&normal).ok().is_some_and(|url| {
            let authority = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            authority.eq_ignore_ascii_case(host_header)
        })
    }
}

/// `scheme://host[:port]` of an origin, or `None` if it is not a plain http(s) origin.
fn normalise_origin(origin: &str) -> Option<String> {
    let url = Url::parse(origin.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

/// The lower-case host part of `host[:port]` (IPv6 keeps its brackets), or `None` if malformed.
fn host_of_authority(authority: &str) -> Option<String> {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.is_empty() || authority.contains(['/', '@', ' ', '\\']) {
        return None;
    }
    let host = if authority.starts_with('[') {
        let end = authority.find(']')?;
        authority[..=end].to_owned()
    } else {
        authority.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then_some(host)
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
    path == "/healthz" || path == "/metrics"
}

/// Middleware on every request (outside CORS): refuse unknown `Host`s.
pub async fn host_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !host_check_exempt(path) {
        let host = request_host(&request).unwrap_or_default();
        if !state.access.host_allowed(&host, state.bound) {
            return RelayError::HostNotAllowed(host).into_response();
        }
    }
    next.run(request).await
}

/// Middleware inside CORS: on `/api`, refuse foreign `Origin`s; on `/api` and `/metrics`,
/// check the access key (with the per-address limit on wrong keys).
pub async fn api_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api && let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = request_host(&request).unwrap_or_default();
        if !state.access.origin_allowed(origin, &host) {
            return RelayError::OriginNotAllowed(origin.to_owned()).into_response();
        }
    }
    if (is_api || path == "/metrics")
        && let Some(key) = &state.access.access_key
    {
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let presented = presented_key(request.headers(), path == "/metrics");
        let now = std::time::Instant::now();
        match state
            .key_failures
            .check(key, presented.as_deref(), client, now)
        {
            KeyCheck::Accepted => {}
            KeyCheck::Missing => return RelayError::AccessKeyRequired.into_response(),
            KeyCheck::Wrong => {
                tracing::warn!(%client, "wrong access key");
                state.metrics.access_key_failure();
                return RelayError::AccessKeyWrong.into_response();
            }
            KeyCheck::Locked { retry_after_secs } => {
                return RelayError::RateLimited { retry_after_secs }.into_response();
            }
        }
    }
    next.run(request).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AccessPolicy {
        AccessPolicy::new(
            vec!["Relay.Example.com".into()],
            vec!["https://portal.example.com".into()],
            None,
            false,
        )
        .unwrap()
    }

    #[test]
    fn hosts_loopback_configured_and_bound_address_only() {
        let p = policy();
        let bound: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        for ok in [
            "localhost:8080",
            "127.0.0.1:9",
            "[::1]:8080",
            "relay.example.com",
            "RELAY.example.com:443",
            "10.0.0.5:8080",
        ] {
            assert!(p.host_allowed(ok, Some(bound)), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "relay.example.com.evil.example",
            "10.0.0.6:8080",
            "user@relay.example.com",
            "localhost.evil.example",
        ] {
            assert!(!p.host_allowed(bad, Some(bound)), "{bad}");
        }
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(!p.host_allowed("0.0.0.0:8080", Some(any)));
    }

    #[test]
    fn origins_same_host_or_configured() {
        let p = policy();
        assert!(p.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(p.origin_allowed("https://portal.example.com", "relay.example.com"));
        assert!(!p.origin_allowed("https://evil.example", "127.0.0.1:8080"));
        assert!(!p.origin_allowed("null", "127.0.0.1:8080"));
        assert!(!p.origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080"));
    }

    #[test]
    fn wildcards_and_paths_are_refused_in_configuration() {
        assert!(AccessPolicy::new(vec![], vec!["*".into()], None, false).is_err());
        assert!(
            AccessPolicy::new(vec![], vec!["https://a.example/x".into()], None, false).is_err()
        );
        assert!(AccessPolicy::new(vec!["*.example.com".into()], vec![], None, false).is_err());
        assert!(AccessPolicy::new(vec![], vec![], Some("short".into()), false).is_err());
    }
}
