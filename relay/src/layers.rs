//! The middleware stack, in one place (outermost first): request id (a client's id kept only
//! if it is short and plain), secret headers marked, trace, security headers, who the client is
//! (recorded in the trace span), the request body's deadline, the error layer (the one place relay errors are logged and counted), the
//! Host check, CORS, and the Origin and access-key check. Load shedding wraps the API routes
//! only (see [`shed_load`]), so health checks and the console still answer under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderValue, header::HeaderName};
use axum::middleware::{
    Next, from_fn_with_state, map_request, map_request_with_state, map_response,
};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Limits;
use crate::error::{LoggedError, RelayError};
use crate::guard::{self, Guard, cors, security_headers};
use crate::metrics::Metrics;
use crate::request_body::DeadlineBody;
use crate::routes::forward::headers;
use crate::state::AppState;

const REQUEST_ID: &str = "x-request-id";

/// Whether a client-chosen request id may be kept: 1 to 64 characters of letters, digits and
/// `-_.:`, so it can neither forge log fields nor carry a payload.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Drop a client's request id that is not acceptable (the relay then makes its own).
async fn sanitise_request_id(mut request: Request) -> Request {
    let ok = request
        .headers()
        .get_all(REQUEST_ID)
        .iter()
        .all(|v| acceptable_request_id(v.as_bytes()));
    if !ok || request.headers().get_all(REQUEST_ID).iter().count() > 1 {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// Request ids: a per-process random prefix and a counter.
#[derive(Clone)]
struct RequestIds {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::UNIX_EPOCH
                .elapsed()
                .unwrap_or_default()
                .as_nanos(),
        );
        Self {
            prefix: hasher.finish() as u32,
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-{n:06}", self.prefix);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

async fn mark_request_secrets(mut request: Request) -> Request {
    headers::mark_secrets(request.headers_mut());
    request
}

async fn mark_response_secrets(mut response: Response) -> Response {
    headers::mark_secrets(response.headers_mut());
    response
}

/// The whole request body must arrive within `limits.body_read_timeout`.
async fn body_deadline(State(limits): State<Limits>, request: Request) -> Request {
    request.map(|body| Body::new(DeadlineBody::new(body, limits.body_read_timeout)))
}

/// The error layer: log each relay error once (detail included, message as the user saw it)
/// and count it by code.
async fn relay_errors(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if let Some(error) = response.extensions().get::<LoggedError>() {
        metrics.relay_error(error.code);
        // Fields without a value are left out of the line.
        let device = error.device.as_deref();
        let detail = error.detail.as_deref();
        if error.internal {
            tracing::error!(code = error.code, device, detail, "{}", error.message);
        } else {
            tracing::warn!(code = error.code, device, detail, "{}", error.message);
        }
    }
    response
}

/// Load shedding: a request past `limits.max_in_flight` is answered `503 overloaded` at once.
/// The permit is held until the response body is finished, so streams count too.
pub async fn shed_load(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Ok(permit) = state.in_flight.clone().try_acquire_owned() else {
        return RelayError::Overloaded {
            retry_after_secs: 1,
        }
        .into_response();
    };
    let response = next.run(request).await;
    response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &permit;
            frame
        }))
    })
}

/// `router` behind the whole stack.
pub fn around(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let outer = ServiceBuilder::new()
        .layer(map_request(sanitise_request_id))
        .layer(SetRequestIdLayer::new(
            HeaderName::from_static(REQUEST_ID),
            RequestIds::new(),
        ))
        .layer(map_request(mark_request_secrets))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: a query string could carry something secret. The client (and
                    // the user a trusted proxy names) are recorded by `guard::identify_client`.
                    tracing::info_span!(
                        "request",
                        id = %id,
                        method = %request.method(),
                        path = %request.uri().path(),
                        client = tracing::field::Empty,
                        user = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static(
            REQUEST_ID,
        )))
        .layer(map_response(mark_response_secrets));
    let [h1, h2, h3, h4, h5] = security_headers::layers();
    let response_headers = ServiceBuilder::new()
        .layer(h1)
        .layer(h2)
        .layer(h3)
        .layer(h4)
        .layer(h5);
    let guards = ServiceBuilder::new()
        .layer(from_fn_with_state(
            state.proxies.clone(),
            guard::identify_client,
        ))
        .layer(map_request_with_state(state.limits, body_deadline))
        .layer(from_fn_with_state(state.metrics.clone(), relay_errors))
        .layer(from_fn_with_state(
            Guard::from_ref(state),
            guard::host_guard,
        ))
        .layer(cors::layer(
            &state.access,
            headers::allowed_request_headers(),
            headers::allowed_response_headers(),
        ))
        .layer(from_fn_with_state(Guard::from_ref(state), guard::api_guard));
    router.layer(guards).layer(response_headers).layer(outer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_short_request_ids_are_kept_others_replaced() {
        assert!(acceptable_request_id(b"0a1b2c3d-000042"));
        assert!(acceptable_request_id(b"trace:abc.def_1"));
        for bad in [
            &b""[..],
            b"a b",
            b"x\" level=ERROR msg=\"forged",
            b"line\nbreak",
            &[b'a'; 65][..],
            "caf\u{e9}".as_bytes(),
        ] {
            assert!(!acceptable_request_id(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn an_accepted_id_can_forge_no_log_field(id in prop::collection::vec(any::<u8>(), 0..80)) {
            if acceptable_request_id(&id) {
                let text = std::str::from_utf8(&id).unwrap();
                prop_assert!(!text.contains(['"', '=', ' ', '\n', '\r', '\x1b']));
                prop_assert!(text.len() <= 64);
            }
        }
    }
}
