//! For operators: `GET /healthz` (liveness, exempt from the Host check) and `GET /metrics`
//! (Prometheus text; behind the Host check, and the access key when one is set).

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::metrics::device_label;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> Response {
    let handshakes: Vec<(String, u64)> = state
        .inventory
        .devices()
        .iter()
        .chain(state.inventory.ad_hoc_devices().iter())
        .map(|d| {
            (
                device_label(&d.config.id).to_owned(),
                d.connections_opened(),
            )
        })
        .collect();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&handshakes),
    )
        .into_response()
}
