//! For operators: `GET /livez` (the process serves), `GET /readyz` (it wants traffic: fails
//! from the start of a shutdown, never because a device or the replicas' store is unreachable),
//! `GET /healthz` (liveness, the older name), all three exempt from the Host check; and
//! `GET /metrics` (Prometheus text; behind the Host check, and the access key when one is set).

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::metrics::device_label;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/livez", get(|| async { "ok" }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.readiness.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    }
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
    let mut text = state.metrics.render(&handshakes);
    text.push_str(&store_metrics(&state));
    text.push_str(&share_metrics(&state));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Whether the replicas' store answers, and how many pins this replica knows. The metric keeps
/// its name, `tokendeck_shared_state_up`: operators' dashboards and alerts read it.
fn store_metrics(state: &AppState) -> String {
    let pins = state.store.pins();
    format!(
        "# HELP tokendeck_shared_state_up Whether the shared state (pins, budgets) answers: 0 while Redis is unreachable (pins fail closed, budgets are counted per replica).\n\
         # TYPE tokendeck_shared_state_up gauge\n\
         tokendeck_shared_state_up {}\n\
         # HELP tokendeck_shared_state_pins_lost Whether the shared state has lost its data (its generation marker is gone or foreign): devices open to trust on first use that this replica has not pinned are refused and nobody can pin until the operator restores it or runs relay --init-state.\n\
         # TYPE tokendeck_shared_state_pins_lost gauge\n\
         tokendeck_shared_state_pins_lost {}\n\
         # HELP tokendeck_shared_state_pins_refused Pins in the shared state that are not signed with the relay's key (their devices are refused).\n\
         # TYPE tokendeck_shared_state_pins_refused gauge\n\
         tokendeck_shared_state_pins_refused {}\n\
         # HELP tokendeck_pins Devices pinned by users (trust on first use), as this replica knows them.\n\
         # TYPE tokendeck_pins gauge\n\
         tokendeck_pins {}\n\
         # HELP tokendeck_ready Whether this replica wants traffic (0 from the start of a shutdown).\n\
         # TYPE tokendeck_ready gauge\n\
         tokendeck_ready {}\n",
        u8::from(state.store.reachable()),
        u8::from(pins.loss().is_some()),
        pins.refused_count(),
        pins.len(),
        u8::from(state.readiness.is_ready()),
    )
}

/// Each client's share of the connection and in-flight caps: places refused because a client
/// held its share, and clients holding places now.
fn share_metrics(state: &AppState) -> String {
    let caps = [
        ("connections", &state.connection_shares),
        ("in_flight", &state.in_flight_shares),
    ];
    let mut text = String::from(
        "# HELP tokendeck_client_share_refused_total Connections and API requests refused because their client held its share of the cap (max_connections_per_client, max_in_flight_per_client).\n\
         # TYPE tokendeck_client_share_refused_total counter\n",
    );
    for (cap, shares) in caps {
        text.push_str(&format!(
            "tokendeck_client_share_refused_total{{cap=\"{cap}\"}} {}\n",
            shares.refused()
        ));
    }
    text.push_str(
        "# HELP tokendeck_clients_holding Clients (addresses, IPv6 /64s) holding connections or API requests now.\n\
         # TYPE tokendeck_clients_holding gauge\n",
    );
    for (cap, shares) in caps {
        text.push_str(&format!(
            "tokendeck_clients_holding{{cap=\"{cap}\"}} {}\n",
            shares.clients()
        ));
    }
    text
}
