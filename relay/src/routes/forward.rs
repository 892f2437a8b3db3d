//! `ANY /api/devices/{id}/fwd/{*path}`: one call to one inventory device, as a short driver
//! over small phases (in the manner of pingora's proxy phases), each in its own file:
//! 0. the device — the path read once by the one grammar (`shared::wire::ForwardPath`), its
//!    id decoded and looked up, its trust known (`inventory`);
//! 1. `target` — the method and the origin-form target (the pool dials the device's address);
//! 2. `headers` — the client's headers a device may see;
//! 3. `body` — the upload, streamed, capped;
//! 4. admission — the device's budget has room for this call (`crate::admission::budget`:
//!    `429 device_budget` otherwise), asked only now, so a call refused above spends none;
//! 5. the call, bounded by `timeouts.request` until the response headers;
//! 6. `classify` — when the call fails, which relay error it is; a call that never reached
//!    the device (no connection, a failed handshake or pin) gives its request back to the
//!    budget's minute;
//! 7. `headers` and `body` — the device's headers the client may see, the reply streamed, in
//!    one body that holds the budget's slot and the front's in-flight permit until the reply
//!    has been sent (`crate::admission::held`).
//!
//! Forwarding is the relay's hot path: the front (`crate::server::front`) hands these requests
//! to [`forward`] itself, after its guards, instead of routing them through the router.

mod body;
mod classify;
pub mod headers;
pub mod target;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use shared::wire::ForwardPath;

use super::extract::TargetDevice;
use crate::admission::budget::Admitted;
use crate::admission::held::Held;
use crate::admission::shedding::Permit;
use crate::error::RelayError;
use crate::inventory::Device;
use crate::inventory::pool::{CallProgress, Reply};
use crate::metrics::Outcome;
use crate::state::AppState;

/// Whether `path` is a forward, `/api/devices/{id}/fwd/…` (for the front's dispatch).
pub fn is_forward(path: &str) -> bool {
    ForwardPath::parse(path).is_some()
}

/// One forwarded call, counted in the metrics. `permit` (the front's in-flight permit) is held
/// with the reply until it has been sent.
pub async fn forward(state: &AppState, request: Request, permit: Option<Permit>) -> Response {
    let path = request.uri().path();
    let Some(fwd) = ForwardPath::parse(path) else {
        return RelayError::ForbiddenTarget("the path is not under /fwd/".into()).into_response();
    };
    let device = match TargetDevice::by_raw_id(fwd.raw_id(), state) {
        Ok(TargetDevice(device)) => device,
        Err(refusal) => return refusal.into_response(),
    };
    // Where the device path starts: an offset, so it outlives taking the request apart.
    let device_path_at = path.len() - fwd.device_path().len();
    let started = Instant::now();
    let result = proxy(state, &device, request, device_path_at, permit).await;
    let outcome = match &result {
        Ok(response) => Outcome::Status(response.status().as_u16()),
        Err(err) => Outcome::Relay(err.code().as_str()),
    };
    state
        .metrics
        .device_call(&device.config.id, outcome, started.elapsed());
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The phases, in order.
async fn proxy(
    state: &AppState,
    device: &Arc<Device>,
    request: Request,
    device_path_at: usize,
    permit: Option<Permit>,
) -> Result<Response, RelayError> {
    state.inventory.trust_known(device)?;
    let (parts, client_body) = request.into_parts();
    let method = target::forwarded_method(&parts.method)?;
    let path = target::check_device_path(&parts.uri.path()[device_path_at..])?;
    let uri = target::device_target(path, parts.uri.query())?;
    let mut device_headers = headers::to_device(&parts.headers);
    let upload = body::upload(
        client_body,
        &parts.headers,
        &mut device_headers,
        state.limits.max_body.min(device.max_body),
    )?;
    let profile = shared::devices::profile(device.config.kind);
    let admitted = state
        .budgets
        .admit(device, || profile.priority(method.as_str(), path))
        .await?;
    let mut call = axum::http::Request::new(upload);
    *call.method_mut() = method;
    *call.uri_mut() = uri;
    *call.headers_mut() = device_headers;
    let progress = CallProgress::default();
    let called = device.pool.call(call, &progress);
    let failed = match tokio::time::timeout(device.timeouts.request, called).await {
        Ok(Ok(reply)) => Ok(reply),
        Err(_) => Err(RelayError::Timeout {
            device: device.config.id.clone(),
            ms: device.timeouts.request.as_millis(),
        }),
        Ok(Err(err)) => Err(classify::classify(device, &err)),
    };
    let reply = match failed {
        Ok(reply) => reply,
        Err(err) => {
            // Refused before anything reached the device: its budget is not spent.
            if !progress.sent() {
                admitted.unsent();
            }
            return Err(err);
        }
    };
    audit(state, device, &parts, path, reply.status().as_u16());
    to_client(state, device, reply, (permit, admitted))
}

/// One line per forwarded call, inside the request's span (which names the client and the
/// user): at `info` when a proxy names users (the operator wants an audit trail), at `debug`
/// otherwise. Never the query or a header: they can carry secrets.
fn audit(state: &AppState, device: &Device, parts: &Parts, path: &str, status: u16) {
    macro_rules! forwarded {
        ($level:ident) => {
            tracing::$level!(
                device = %device.config.id,
                method = %parts.method,
                path,
                status,
                "forwarded"
            )
        };
    }
    if state.proxies.names_users() {
        forwarded!(info);
    } else {
        forwarded!(debug);
    }
}

/// The device's reply as the client's response: allowlisted headers, the body streamed,
/// holding `held` (the in-flight permit and the budget's slot) until it has been sent.
fn to_client(
    state: &AppState,
    device: &Arc<Device>,
    reply: axum::http::Response<Reply>,
    held: (Option<Permit>, Admitted),
) -> Result<Response, RelayError> {
    let limit = state.limits.max_reply;
    let (parts, body) = reply.into_parts();
    let length = parts.headers.get(CONTENT_LENGTH);
    let declared = length.and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(RelayError::ReplyTooLarge {
            device: device.config.id.clone(),
            limit,
        });
    }
    let mut headers = headers::to_client(&parts.headers);
    // Kept, so a reply of known length is not re-sent chunked.
    if let Some(length) = length {
        headers.insert(CONTENT_LENGTH, length.clone());
    }
    let (metrics, cut_device) = (state.metrics.clone(), device.clone());
    let on_cut = move |why: body::ReplyCut| {
        let id = &cut_device.config.id;
        tracing::warn!(device = %id, code = why.code(), "the device's reply was cut off");
        metrics.reply_cut(id, why.code());
    };
    let capped = body::reply(body, limit, device.timeouts.reply_idle, on_cut);
    // The reply's one allocation: its body, with what it holds.
    let mut response = Response::new(Body::new(Held::new(capped, held)));
    *response.status_mut() = parts.status;
    *response.headers_mut() = headers;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::is_forward;

    #[test]
    fn forwards_are_told_by_the_shared_grammar() {
        assert!(is_forward("/api/devices/lab/fwd/mgmt/tm/sys/version"));
        assert!(is_forward("/api/devices/lab/fwd/"));
        assert!(is_forward("/api/devices/adhoc%7Elab/fwd/x"));
        assert!(!is_forward("/api/devices//fwd/x"));
        assert!(!is_forward("/api/devices/lab/probe"));
        assert!(!is_forward("/api/devices"));
        assert!(!is_forward("/devices/lab/fwd/x"));
    }
}
