//! Trust on first use from the console: `POST /api/devices/{id}/probe` shows the certificate a
//! device presents; `POST /api/devices/{id}/trust` pins it once the user has checked the
//! fingerprint. The rules of who may pin what are the inventory's (`inventory/pins.rs`).

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use axum::{Json, Router};
use shared::wire::{CertificateProbe, DeviceSummary, TrustRequest};

use super::extract::{API_JSON_LIMIT, AppJson, TargetDevice};
use crate::error::RelayError;
use crate::inventory::Device;
use crate::state::AppState;
use crate::trust::{parse_fingerprint, probe};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/devices/{id}/probe", post(probe_device))
        .route("/devices/{id}/trust", post(pin_device))
        .layer(DefaultBodyLimit::max(API_JSON_LIMIT))
}

/// Handshake with `device` and describe what it presents.
async fn presented(device: &Device, can_pin: bool) -> Result<CertificateProbe, RelayError> {
    let id = &device.config.id;
    let (host, addrs) = device.addresses().await?;
    let chain = probe::presented_chain(id, &host, &addrs, device.timeouts.connect).await?;
    Ok(probe::describe(id, &chain, &device.trust, can_pin)?)
}

async fn probe_device(
    State(state): State<AppState>,
    TargetDevice(device): TargetDevice,
) -> Result<Json<CertificateProbe>, RelayError> {
    let can_pin = state.inventory.can_pin(&device);
    Ok(Json(presented(&device, can_pin).await?))
}

/// Pin what the device presents, if it is what the user checked.
async fn pin_device(
    State(state): State<AppState>,
    TargetDevice(device): TargetDevice,
    AppJson(request): AppJson<TrustRequest>,
) -> Result<Json<DeviceSummary>, RelayError> {
    state.inventory.may_pin(&device)?;
    let wanted = format!("sha256:{}", parse_fingerprint(&request.fingerprint)?);
    let seen = presented(&device, true).await?;
    if wanted != seen.sha256_certificate && wanted != seen.sha256_public_key {
        return Err(RelayError::TrustConflict {
            device: device.config.id.clone(),
            detail: format!(
                "the device now presents {} (public key {}), not the {wanted} you checked. Probe it again and compare.",
                seen.sha256_certificate, seen.sha256_public_key
            ),
        });
    }
    let pinned = state.inventory.pin(&device.config.id, &wanted).await?;
    Ok(Json(state.inventory.summary(&pinned)))
}
