//! CORS: only the origins the operator configured (none by default: the app is same-origin),
//! never `*`, no credentials, and Private Network Access preflights answered for those origins
//! only. The headers are built once, at start-up; a request costs a lookup of its `Origin`.
//!
//! Every `OPTIONS` request is a preflight answered here (`200`, empty, allowed methods and
//! headers, max age). Every other response gains `Vary: origin` (appended, so a cache keeps
//! apart the answers to different origins) and, for an allowed origin only,
//! `Access-Control-Allow-Origin` naming it and `Access-Control-Expose-Headers`: a browser reads
//! the exposed headers only on a response that allows its origin, so the ~230 bytes are not
//! sent on every same-origin or non-browser call (the forwarding hot path).

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use shared::wire::RELAY_ERROR_HEADER;

use super::policy::{ACCESS_KEY_HEADER, AccessPolicy};

const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
const ALLOW_PRIVATE_NETWORK: &str = "access-control-allow-private-network";

/// How long a browser may cache a preflight's answer, in seconds.
const MAX_AGE_SECS: u32 = 600;

/// The operator's CORS rules as ready-made headers.
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Vec<HeaderValue>,
    /// What a preflight's answer varies on.
    vary: HeaderValue,
    allow_methods: HeaderValue,
    allow_headers: HeaderValue,
    expose_headers: HeaderValue,
    max_age: HeaderValue,
}

/// What one request's response gains from CORS (decided before the request is handled).
#[derive(Debug, Default)]
pub struct CorsHeaders {
    allow_origin: Option<HeaderValue>,
    private_network: bool,
}

fn joined<'a>(items: impl Iterator<Item = &'a str>, separator: &str) -> HeaderValue {
    let text = items.collect::<Vec<_>>().join(separator);
    HeaderValue::from_str(&text).expect("header names and methods are valid header text")
}

impl Cors {
    /// The rules for `policy`'s allowed origins. `request_headers` and `response_headers` are
    /// the headers the relay lets cross to and from devices (forwarding's allowlists).
    pub fn new(
        policy: &AccessPolicy,
        request_headers: impl Iterator<Item = &'static str>,
        response_headers: impl Iterator<Item = &'static str>,
    ) -> Self {
        let methods = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        Self {
            origins: policy
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok())
                .collect(),
            vary: joined(
                [
                    header::ORIGIN,
                    header::ACCESS_CONTROL_REQUEST_METHOD,
                    header::ACCESS_CONTROL_REQUEST_HEADERS,
                ]
                .iter()
                .map(HeaderName::as_str),
                ", ",
            ),
            allow_methods: joined(methods.iter().map(Method::as_str), ","),
            allow_headers: joined(request_headers.chain([ACCESS_KEY_HEADER]), ","),
            expose_headers: joined(
                response_headers.chain([RELAY_ERROR_HEADER, "x-request-id"]),
                ",",
            ),
            max_age: HeaderValue::from(MAX_AGE_SECS),
        }
    }

    /// Every `OPTIONS` request is a preflight, answered by [`Cors::preflight`].
    pub fn is_preflight(method: &Method) -> bool {
        method == Method::OPTIONS
    }

    /// What the response to a request with these headers gains.
    pub fn for_request(&self, request: &HeaderMap) -> CorsHeaders {
        let Some(origin) = request.get(header::ORIGIN) else {
            return CorsHeaders::default();
        };
        let allowed = self.origins.contains(origin);
        let asks_private_network = request
            .get(REQUEST_PRIVATE_NETWORK)
            .is_some_and(|v| v.as_bytes() == b"true");
        CorsHeaders {
            allow_origin: allowed.then(|| origin.clone()),
            private_network: allowed && asks_private_network,
        }
    }

    /// The answer to a preflight with these request headers (status `200`, empty body).
    pub fn preflight(&self, request: &HeaderMap) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(8);
        let decided = self.for_request(request);
        if decided.private_network {
            headers.insert(
                HeaderName::from_static(ALLOW_PRIVATE_NETWORK),
                HeaderValue::from_static("true"),
            );
        }
        headers.insert(header::VARY, self.vary.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            self.allow_methods.clone(),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            self.allow_headers.clone(),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
        if let Some(origin) = decided.allow_origin {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        headers
    }

    /// Add what `decided` says to a (non-preflight) response's headers.
    pub fn decorate(&self, decided: CorsHeaders, response: &mut HeaderMap) {
        if decided.private_network {
            response.insert(
                HeaderName::from_static(ALLOW_PRIVATE_NETWORK),
                HeaderValue::from_static("true"),
            );
        }
        response.append(header::VARY, HeaderValue::from_static("origin"));
        if let Some(origin) = decided.allow_origin {
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                self.expose_headers.clone(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors() -> Cors {
        let policy = AccessPolicy::new(
            vec![],
            vec!["https://portal.example.com".into()],
            None,
            false,
        )
        .unwrap();
        Cors::new(&policy, ["accept"].into_iter(), ["date"].into_iter())
    }

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn only_configured_origins_are_named_never_a_wildcard() {
        let cors = cors();
        let mut allowed = HeaderMap::new();
        cors.decorate(
            cors.for_request(&request(&[("origin", "https://portal.example.com")])),
            &mut allowed,
        );
        assert_eq!(
            allowed["access-control-allow-origin"],
            "https://portal.example.com"
        );
        assert_eq!(
            allowed["access-control-expose-headers"],
            "date,x-tokendeck-relay-error,x-request-id"
        );
        let mut foreign = HeaderMap::new();
        cors.decorate(
            cors.for_request(&request(&[("origin", "https://evil.example")])),
            &mut foreign,
        );
        assert!(foreign.get("access-control-allow-origin").is_none());
        assert!(foreign.get("access-control-expose-headers").is_none());
        assert_eq!(foreign["vary"], "origin");
        let mut same_origin = HeaderMap::new();
        cors.decorate(cors.for_request(&request(&[])), &mut same_origin);
        assert_eq!(same_origin.len(), 1, "{same_origin:?}");
        assert_eq!(same_origin["vary"], "origin");
    }

    #[test]
    fn preflights_name_methods_headers_and_private_network_for_allowed_origins_only() {
        let cors = cors();
        let asked = |origin| {
            cors.preflight(&request(&[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-private-network", "true"),
            ]))
        };
        let allowed = asked("https://portal.example.com");
        assert_eq!(
            allowed["access-control-allow-methods"],
            "GET,HEAD,POST,PUT,PATCH,DELETE"
        );
        assert_eq!(
            allowed["access-control-allow-headers"],
            "accept,x-tokendeck-access-key"
        );
        assert_eq!(allowed["access-control-max-age"], "600");
        assert_eq!(allowed["access-control-allow-private-network"], "true");
        let foreign = asked("https://evil.example");
        assert!(foreign.get("access-control-allow-origin").is_none());
        assert!(
            foreign
                .get("access-control-allow-private-network")
                .is_none()
        );
    }
}
