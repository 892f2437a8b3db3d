//! The Tokendeck relay: serves the console (the built app in `dist/`, or embedded with the
//! `embed-app` feature) and forwards its calls to the devices in its inventory over TLS, with
//! a trust policy per device.
//!
//! Run it with `cargo run -p relay -- --demo` (simulated devices in-process) or
//! `relay --config tokendeck.toml`; `relay --help` documents everything. Tests build the router
//! with [`app`] and serve it on `127.0.0.1:0` with [`serve`].

pub mod access;
pub mod access_key;
pub mod adhoc;
pub mod config;
pub mod config_device;
pub mod config_env;
pub mod cors;
pub mod demo;
pub mod error;
pub mod forward;
pub mod inventory;
pub mod metrics;
pub mod pins;
pub mod probe;
pub mod security_headers;
pub mod static_files;
pub mod trust;
mod verifier;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use axum::{Json, Router};
use shared::wire::{AdHocRequest, DeviceSummary, SECRET_HEADERS};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::{
    SetSensitiveRequestHeadersLayer, SetSensitiveResponseHeadersLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use access::AccessPolicy;
use access_key::KeyFailures;
use error::RelayError;
use inventory::Inventory;
use metrics::Metrics;
use static_files::AppFiles;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inventory: Arc<Inventory>,
    /// The built app; `None` serves the API only.
    pub app_files: Option<AppFiles>,
    pub access: Arc<AccessPolicy>,
    pub key_failures: Arc<KeyFailures>,
    pub metrics: Arc<Metrics>,
    /// Largest request body forwarded to a device.
    pub max_body: usize,
    /// The address [`serve`] is bound to (accepted as a `Host`).
    pub bound: Option<SocketAddr>,
}

impl AppState {
    /// Loopback defaults: no access key, same-origin only, the app from `dist` (if given).
    pub fn new(inventory: Inventory, dist: Option<PathBuf>) -> Self {
        Self {
            inventory: Arc::new(inventory),
            app_files: dist.map(AppFiles::Dir),
            access: Arc::new(AccessPolicy::default()),
            key_failures: Arc::new(KeyFailures::default()),
            metrics: Arc::new(Metrics::default()),
            max_body: config::DEFAULT_MAX_BODY,
            bound: None,
        }
    }

    pub fn with_access(mut self, access: AccessPolicy) -> Self {
        self.access = Arc::new(access);
        self
    }

    pub fn with_max_body(mut self, max_body: usize) -> Self {
        self.max_body = max_body;
        self
    }

    pub fn with_app_files(mut self, files: Option<AppFiles>) -> Self {
        self.app_files = files;
        self
    }
}

async fn list_devices(State(state): State<AppState>) -> Json<Vec<DeviceSummary>> {
    Json(state.inventory.summaries())
}

/// `POST /api/devices`: admit an ad-hoc device if the operator's allowlist covers it.
async fn add_ad_hoc(
    State(state): State<AppState>,
    body: Result<Json<AdHocRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<DeviceSummary>, RelayError> {
    let Json(request) = body.map_err(|e| RelayError::BadRequest(e.body_text()))?;
    let (id, _) = state
        .inventory
        .ad_hoc()
        .admit(request.kind, &request.base_url)
        .map_err(RelayError::ForbiddenTarget)?;
    let device = state
        .inventory
        .get(&id)
        .ok_or_else(|| RelayError::Internal(format!("ad-hoc device {id} vanished")))?;
    Ok(Json(state.inventory.summary(&device)))
}

async fn api_not_found() -> RelayError {
    RelayError::BadRequest("there is no such relay API endpoint".into())
}

fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list_devices).post(add_ad_hoc))
        .route("/devices/{id}/probe", post(probe::probe))
        .route("/devices/{id}/trust", post(probe::trust))
        .route("/devices/{id}/fwd/{*path}", any(forward::forward))
        .fallback(api_not_found)
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
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-{n:06}", self.prefix);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Headers whose values must never appear in logs or debug output (`shared`'s one list).
fn secret_headers() -> Vec<HeaderName> {
    SECRET_HEADERS
        .into_iter()
        .map(HeaderName::from_static)
        .collect()
}

/// The whole relay: API, health check, metrics, and the app's static files, behind one
/// middleware stack (outermost first): request id, redaction, trace, security headers, error
/// metrics, Host check, CORS, Origin and access-key check.
pub fn app(state: AppState) -> Router {
    let secrets = secret_headers();
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(RequestIds::new()))
        .layer(SetSensitiveRequestHeadersLayer::new(secrets.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: a query string could carry something secret.
                    tracing::info_span!(
                        "request",
                        id = %id,
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetSensitiveResponseHeadersLayer::new(secrets));
    let [h1, h2, h3, h4, h5] = security_headers::layers();
    let headers = ServiceBuilder::new()
        .layer(h1)
        .layer(h2)
        .layer(h3)
        .layer(h4)
        .layer(h5);
    let guards = ServiceBuilder::new()
        .layer(from_fn_with_state(
            state.clone(),
            metrics::count_relay_errors,
        ))
        .layer(from_fn_with_state(state.clone(), access::host_guard))
        .layer(cors::layer(&state.access))
        .layer(from_fn_with_state(state.clone(), access::api_guard));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .nest("/api", api_routes())
        .fallback(static_files::serve_app.layer(CompressionLayer::new()))
        .layer(guards)
        .layer(headers)
        .layer(middleware)
        .with_state(state)
}

/// Serve `app(state)` on `listener` until `shutdown` resolves, then finish in-flight requests.
///
/// Refuses a non-loopback listener unless an access key is configured or the operator opted out
/// (`insecure_no_access_key`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() && !state.access.requires_key() && !state.access.no_access_key {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to serve on {bound} (not loopback) without an access key"),
        ));
    }
    state.bound = Some(bound);
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
