//! The Tokendeck relay: serves the console (the built app in `dist/`) and forwards its calls to
//! the devices in its inventory over TLS, with a trust policy per device.
//!
//! Run it with `cargo run -p relay -- --demo` (simulated devices in-process) or see
//! `relay --help`. Tests build the router with [`app`] and serve it on `127.0.0.1:0`.

pub mod demo;
pub mod error;
pub mod forward;
pub mod inventory;
pub mod trust;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::{any, get};
use axum::{Json, Router};
use shared::device::DeviceSummary;
use tower_http::services::{ServeDir, ServeFile};

use inventory::Inventory;

/// Everything a request handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inventory: Arc<Inventory>,
    /// Directory of the built app (`index.html`, wasm, css); `None` serves the API only.
    pub dist: Option<PathBuf>,
}

impl AppState {
    pub fn new(inventory: Inventory, dist: Option<PathBuf>) -> Self {
        Self {
            inventory: Arc::new(inventory),
            dist,
        }
    }
}

async fn list_devices(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<Vec<DeviceSummary>> {
    Json(state.inventory.summaries())
}

fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list_devices))
        .route("/devices/{id}/fwd/{*path}", any(forward::forward))
}

/// The whole relay: API, health check, and the app's static files.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api", api_routes());
    let router = match &state.dist {
        Some(dist) => router.fallback_service(
            ServeDir::new(dist)
                .precompressed_gzip()
                .fallback(ServeFile::new(dist.join("index.html"))),
        ),
        None => router,
    };
    router.with_state(state)
}

/// Serve `app(state)` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
