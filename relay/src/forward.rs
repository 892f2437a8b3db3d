//! `ANY /api/devices/{id}/fwd/{*path}`: one call to one inventory device.

use axum::body::{Body, to_bytes};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::Response;
use shared::wire::headers::{DEVICE_SECRET_HEADERS, DEVICE_SECRET_REPLY_HEADERS};

use crate::AppState;
use crate::error::RelayError;
use crate::inventory::Device;
use crate::trust::find_pin_mismatch;

/// Request headers that may reach a device besides the device credentials
/// (`shared::wire::DEVICE_SECRET_HEADERS`). Everything else (cookies, hop-by-hop headers,
/// `Host`, `Origin`, forwarding headers) is dropped.
const PLAIN_REQUEST_HEADERS: [&str; 3] = ["accept", "content-type", "x-f5-rest-coordination-id"];

/// Response headers that may reach the app besides FMC's token pair
/// (`shared::wire::DEVICE_SECRET_REPLY_HEADERS`).
const PLAIN_RESPONSE_HEADERS: [&str; 8] = [
    "content-type",
    // The device's clock as it shows it: the console's leases follow it (sped-up demos too).
    "date",
    "domain_uuid",
    "domains",
    "global",
    "user_uuid",
    "domain_id",
    "retry-after",
];

/// Whether a request header may reach a device.
pub fn request_header_allowed(name: &str) -> bool {
    PLAIN_REQUEST_HEADERS.contains(&name) || DEVICE_SECRET_HEADERS.contains(&name)
}

/// Whether a response header may reach the app.
pub fn response_header_allowed(name: &str) -> bool {
    PLAIN_RESPONSE_HEADERS.contains(&name) || DEVICE_SECRET_REPLY_HEADERS.contains(&name)
}

/// Every request header a device may receive (for CORS).
pub fn allowed_request_headers() -> impl Iterator<Item = &'static str> {
    PLAIN_REQUEST_HEADERS
        .into_iter()
        .chain(DEVICE_SECRET_HEADERS)
}

/// Every response header the app may read (for CORS).
pub fn allowed_response_headers() -> impl Iterator<Item = &'static str> {
    PLAIN_RESPONSE_HEADERS
        .into_iter()
        .chain(DEVICE_SECRET_REPLY_HEADERS)
}

/// The device path in the raw (still percent-encoded) request URI, validated so that nothing
/// in it can steer the relay away from the device's base URL.
pub fn device_path(raw_path: &str, device_id: &str) -> Result<String, RelayError> {
    let prefix = format!("/api/devices/{device_id}/fwd/");
    let rest = raw_path
        .strip_prefix(&prefix)
        .ok_or_else(|| RelayError::ForbiddenTarget("the path is not under /fwd/".into()))?;
    let lowered = rest.to_ascii_lowercase();
    let forbidden = |why: &str| Err(RelayError::ForbiddenTarget(why.into()));
    if rest.is_empty() {
        return forbidden("an empty device path");
    }
    if rest.starts_with('/') || lowered.contains("//") {
        return forbidden("an absolute or protocol-relative path");
    }
    if rest.split('/').any(|seg| seg == "." || seg == "..") {
        return forbidden("a path with . or .. segments");
    }
    if ["%2e", "%2f", "%5c", "%25", "%00", "%0d", "%0a", "%40"]
        .iter()
        .any(|enc| lowered.contains(enc))
    {
        return forbidden("percent-encoded dots, slashes, backslashes, @, NUL, CR or LF");
    }
    if rest.contains(['\\', '@', '\r', '\n', '#']) || rest.chars().any(char::is_control) {
        return forbidden("a backslash, @, #, or control character");
    }
    Ok(format!("/{rest}"))
}

/// Copy only allowlisted headers.
fn filter_headers(from: &HeaderMap, allow: fn(&str) -> bool) -> HeaderMap {
    let mut to = HeaderMap::new();
    for (name, value) in from {
        if allow(name.as_str()) {
            to.append(name.clone(), value.clone());
        }
    }
    to
}

fn classify(device: &Device, err: reqwest::Error) -> RelayError {
    let id = device.config.id.clone();
    if let Some(mismatch) = find_pin_mismatch(&err) {
        return RelayError::PinMismatch {
            device: id,
            mismatch,
        };
    }
    let detail = error_chain(&err);
    if err.is_timeout() || detail.contains("timed out") {
        let limit = if err.is_connect() {
            device.timeouts.connect
        } else {
            device.timeouts.request
        };
        return RelayError::Timeout {
            device: id,
            ms: limit.as_millis(),
        };
    }
    if err.is_connect() && (detail.contains("dns error") || detail.contains("failed to lookup")) {
        return RelayError::DnsFailure {
            device: id,
            host: device
                .config
                .base_url
                .host_str()
                .unwrap_or_default()
                .to_owned(),
            detail,
        };
    }
    if detail.contains("certificate") || detail.contains("UnknownIssuer") {
        return RelayError::UntrustedCertificate { device: id, detail };
    }
    RelayError::Unreachable {
        device: id,
        target: device.config.base_url.as_str().trim_end_matches('/').into(),
        detail,
    }
}

/// The innermost causes of an error, joined, without the URL (which may carry a query).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = err.source();
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    if parts.is_empty() {
        parts.push(err.to_string());
    }
    parts.dedup();
    parts.join(": ")
}

/// Forward one call.
pub async fn forward(
    State(state): State<AppState>,
    Path((device_id, _path)): Path<(String, String)>,
    request: Request<Body>,
) -> Result<Response, RelayError> {
    let device = state
        .inventory
        .get(&device_id)
        .ok_or_else(|| RelayError::UnknownDevice(device_id.clone()))?;
    let started = std::time::Instant::now();
    let result = send(&state, &device, &device_id, request).await;
    let outcome = match &result {
        Ok(response) => response.status().as_u16().to_string(),
        Err(err) => err.code().as_str().to_owned(),
    };
    state
        .metrics
        .device_call(&device_id, &outcome, started.elapsed());
    result
}

async fn send(
    state: &AppState,
    device: &Device,
    device_id: &str,
    request: Request<Body>,
) -> Result<Response, RelayError> {
    let limit = state.max_body;
    let (parts, body) = request.into_parts();
    // `nest("/api", …)` strips the prefix from `parts.uri`; validate the path as the client sent it.
    let original = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let path = device_path(original.path(), device_id)?;
    let mut url = device.config.base_url.clone();
    url.set_path(&path);
    url.set_query(parts.uri.query());
    if url.host() != device.config.base_url.host() || url.port() != device.config.base_url.port() {
        return Err(RelayError::ForbiddenTarget(
            "the target host changed".into(),
        ));
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::BodyTooLarge { limit });
    }
    // Buffered (up to the limit) so the device gets a Content-Length: device APIs expect one.
    let body = to_bytes(body, limit)
        .await
        .map_err(|_| RelayError::BodyTooLarge { limit })?;
    let method = Method::from_bytes(parts.method.as_str().as_bytes())
        .map_err(|_| RelayError::BadRequest("unknown method".into()))?;

    let started = std::time::Instant::now();
    let reply = device
        .client
        .request(method.clone(), url)
        .headers(filter_headers(&parts.headers, request_header_allowed))
        .body(body)
        .send()
        .await
        .map_err(|err| classify(device, err))?;
    let status = reply.status();
    tracing::info!(
        device = %device_id,
        %method,
        path = %path,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "forwarded"
    );

    let mut response = Response::builder()
        .status(StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY));
    if let Some(headers) = response.headers_mut() {
        *headers = filter_headers(reply.headers(), response_header_allowed);
    }
    response
        .body(Body::from_stream(reply.bytes_stream()))
        .map_err(|e| RelayError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> Result<String, RelayError> {
        device_path(raw, "lab")
    }

    #[test]
    fn accepts_ordinary_device_paths() {
        assert_eq!(
            path("/api/devices/lab/fwd/mgmt/tm/ltm/node/~Common~web").unwrap(),
            "/mgmt/tm/ltm/node/~Common~web"
        );
        assert_eq!(
            path("/api/devices/lab/fwd/mgmt/tm/ltm/node/").unwrap(),
            "/mgmt/tm/ltm/node/"
        );
    }

    #[test]
    fn refuses_escapes() {
        for raw in [
            "/api/devices/lab/fwd/../../etc/passwd",
            "/api/devices/lab/fwd/mgmt/%2e%2e/x",
            "/api/devices/lab/fwd/mgmt%2F..%2Fx",
            "/api/devices/lab/fwd//evil.example/x",
            "/api/devices/lab/fwd/mgmt//x",
            "/api/devices/lab/fwd/user@evil/x",
            "/api/devices/lab/fwd/mgmt/%40evil",
            "/api/devices/lab/fwd/mgmt/%0d%0aHost:%20evil",
            "/api/devices/lab/fwd/mgmt\\..\\x",
            "/api/devices/lab/fwd/",
            "/api/devices/other/fwd/mgmt",
        ] {
            assert!(
                matches!(path(raw), Err(RelayError::ForbiddenTarget(_))),
                "{raw} should be refused"
            );
        }
    }
}
