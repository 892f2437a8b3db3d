//! The inventory as the app sees it: `GET /api/devices`, `POST /api/devices` (admit an ad-hoc
//! device), and `GET /api/info` (what this relay offers).

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use axum::{Json, Router};
use shared::wire::{AdHocRequest, DeviceSummary, RelayInfo};

use super::extract::{API_JSON_LIMIT, AppJson};
use crate::error::RelayError;
use crate::inventory::Inventory;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices", get(list).post(add_ad_hoc))
        .route("/info", get(info))
        .layer(DefaultBodyLimit::max(API_JSON_LIMIT))
}

async fn list(State(state): State<AppState>) -> Json<Vec<DeviceSummary>> {
    Json(state.inventory.summaries())
}

/// Admit an ad-hoc device if the operator's allowlist covers it.
async fn add_ad_hoc(
    State(state): State<AppState>,
    AppJson(request): AppJson<AdHocRequest>,
) -> Result<Json<DeviceSummary>, RelayError> {
    let (id, _) = state
        .inventory
        .ad_hoc()
        .admit(request.kind, &request.base_url)?;
    let device = state
        .inventory
        .get(&id)
        .ok_or_else(|| RelayError::Internal(format!("ad-hoc device {id} vanished")))?;
    Ok(Json(state.inventory.summary(&device)))
}

async fn info(State(state): State<AppState>) -> Json<RelayInfo> {
    Json(relay_info(&state.inventory))
}

/// What `GET /api/info` answers (also written into the console's page).
pub fn relay_info(inventory: &Inventory) -> RelayInfo {
    RelayInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        ad_hoc: inventory.ad_hoc().enabled(),
    }
}
