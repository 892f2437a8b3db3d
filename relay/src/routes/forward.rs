//! `ANY /api/devices/{id}/fwd/{*path}`: one call to one inventory device, as a short driver
//! over small phases (in the manner of pingora's proxy phases), each in its own file:
//! 0. admission — the device's trust is known (`inventory`) and its budget has room
//!    (`crate::budget`: `429 device_budget` otherwise);
//! 1. `target` — the method and the URL (the device's base URL only);
//! 2. `headers` — the client's headers a device may see;
//! 3. `body` — the upload, streamed, capped;
//! 4. the call, bounded by `timeouts.request` until the response headers;
//! 5. `classify` — when the call fails, which relay error it is;
//! 6. `headers` and `body` — the device's headers the client may see, the reply streamed (the
//!    budget's slot is held until it has been sent).

mod body;
mod classify;
pub mod headers;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::any;

use super::extract::TargetDevice;
use crate::error::RelayError;
use crate::inventory::Device;
use crate::metrics::Metrics;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/devices/{id}/fwd/{*path}", any(forward))
}

async fn forward(
    State(state): State<AppState>,
    TargetDevice(device): TargetDevice,
    OriginalUri(original): OriginalUri,
    request: Request,
) -> Result<Response, RelayError> {
    let started = Instant::now();
    let result = proxy(&state, &device, &original, request).await;
    let outcome = match &result {
        Ok(response) => response.status().as_u16().to_string(),
        Err(err) => err.code().as_str().to_owned(),
    };
    state
        .metrics
        .device_call(&device.config.id, &outcome, started.elapsed());
    result
}

/// The phases, in order.
async fn proxy(
    state: &AppState,
    device: &Arc<Device>,
    original: &axum::http::Uri,
    request: Request,
) -> Result<Response, RelayError> {
    state.inventory.trust_known(device)?;
    let admitted = state.budgets.admit(device).await?;
    let (parts, client_body) = request.into_parts();
    let method = target::forwarded_method(&parts.method)?;
    let path = target::device_path(original.path(), &device.config.id)?;
    let url = target::device_url(&device.config.base_url, &path, original.query())?;
    let mut device_headers = headers::to_device(&parts.headers);
    let upload = body::upload(
        client_body,
        &parts.headers,
        &mut device_headers,
        state.limits.max_body,
    )?;
    let call = device
        .client
        .request(method.clone(), url)
        .headers(device_headers)
        .body(upload)
        .send();
    let started = Instant::now();
    let reply = match tokio::time::timeout(device.timeouts.request, call).await {
        Err(_) => {
            return Err(RelayError::Timeout {
                device: device.config.id.clone(),
                ms: device.timeouts.request.as_millis(),
            });
        }
        Ok(Err(err)) => return Err(classify::classify(device, &err)),
        Ok(Ok(reply)) => reply,
    };
    tracing::info!(
        device = %device.config.id,
        %method,
        path = %path,
        status = reply.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "forwarded"
    );
    Ok(admitted.hold_until_sent(to_client(state, device, reply)?))
}

/// The device's reply as the client's response: allowlisted headers, the body streamed.
fn to_client(
    state: &AppState,
    device: &Device,
    reply: reqwest::Response,
) -> Result<Response, RelayError> {
    let limit = state.limits.max_reply;
    if reply.content_length().is_some_and(|n| n > limit) {
        return Err(RelayError::ReplyTooLarge {
            device: device.config.id.clone(),
            limit,
        });
    }
    let status = StatusCode::from_u16(reply.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = headers::to_client(reply.headers());
    // Kept, so a reply of known length is not re-sent chunked.
    if let Some(length) = reply.headers().get(axum::http::header::CONTENT_LENGTH) {
        headers.insert(axum::http::header::CONTENT_LENGTH, length.clone());
    }
    let metrics: Arc<Metrics> = state.metrics.clone();
    let id = device.config.id.clone();
    let on_cut = move |why: body::ReplyCut| {
        tracing::warn!(device = %id, code = why.code(), "the device's reply was cut off");
        metrics.reply_cut(&id, why.code());
    };
    let body: Body = body::reply(
        reply.bytes_stream(),
        limit,
        device.timeouts.reply_idle,
        on_cut,
    );
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}
