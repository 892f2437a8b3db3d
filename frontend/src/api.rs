//! The app's only way out: calls to the relay (`/api/...`), and through it to devices.

use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use shared::device_error::{advice, device_error_message};
use shared::wire::{ACCESS_KEY_HEADER, RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode};
use shared::wire::{DeviceSummary, forward_path};

/// Why a call did not give the app what it asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The relay could not complete the call (device down, certificate changed, …).
    Relay { status: u16, body: RelayErrorBody },
    /// The device answered with an error status.
    Device {
        status: u16,
        message: String,
        advice: Option<&'static str>,
    },
    /// The relay itself could not be reached.
    Network(String),
    /// The reply was not what this kind of device sends.
    Unexpected(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Relay { body, .. } => write!(f, "{}", body.message),
            ApiError::Device {
                status,
                message,
                advice,
            } => {
                write!(f, "The device answered {status}: {message}")?;
                if let Some(advice) = advice {
                    write!(f, " {advice}")?;
                }
                Ok(())
            }
            ApiError::Network(detail) => write!(
                f,
                "Could not reach the Tokendeck relay ({detail}). Is it still running?"
            ),
            ApiError::Unexpected(detail) => write!(f, "Unexpected reply: {detail}"),
        }
    }
}

/// A device reply that was not an error.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

async fn finish(response: Response) -> Result<Reply, ApiError> {
    let status = response.status();
    let from_relay = response.headers().get(RELAY_ERROR_HEADER).is_some();
    let body = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if from_relay {
        return Err(match serde_json::from_str::<RelayErrorBody>(&body) {
            Ok(relay) => ApiError::Relay {
                status,
                body: relay,
            },
            Err(_) => ApiError::Unexpected(format!("relay error {status}: {body}")),
        });
    }
    if status >= 400 {
        let message = device_error_message(&body).unwrap_or_else(|| {
            if body.trim().is_empty() {
                response.status_text()
            } else {
                body.chars().take(300).collect()
            }
        });
        return Err(ApiError::Device {
            status,
            advice: advice(status, &message),
            message,
        });
    }
    Ok(Reply { status, body })
}

const ACCESS_KEY_STORAGE: &str = "tokendeck.access-key";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The relay's access key, if the user entered one in this tab (kept for the tab's lifetime
/// only, in session storage, so a reload does not ask again).
pub fn access_key() -> Option<String> {
    session_storage()?.get_item(ACCESS_KEY_STORAGE).ok()?
}

pub fn set_access_key(key: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(ACCESS_KEY_STORAGE, key);
    }
}

fn with_access_key(builder: RequestBuilder) -> RequestBuilder {
    match access_key() {
        Some(key) => builder.header(ACCESS_KEY_HEADER, &key),
        None => builder,
    }
}

impl ApiError {
    /// Whether the relay wants (another) access key.
    pub fn needs_access_key(&self) -> bool {
        matches!(
            self,
            ApiError::Relay { body, .. }
                if matches!(body.code, RelayErrorCode::AccessKeyRequired | RelayErrorCode::AccessKeyWrong)
        )
    }
}

/// The relay's inventory.
pub async fn list_devices() -> Result<Vec<DeviceSummary>, ApiError> {
    let response = with_access_key(Request::get("/api/devices"))
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let reply = finish(response).await?;
    serde_json::from_str(&reply.body).map_err(|e| ApiError::Unexpected(e.to_string()))
}

/// One call to a device through the relay, with exactly these headers.
pub async fn device_call(
    device_id: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Option<String>,
) -> Result<Reply, ApiError> {
    let url = forward_path(device_id, path);
    let mut builder: RequestBuilder = match method {
        "POST" => Request::post(&url),
        "PATCH" => Request::patch(&url),
        "PUT" => Request::put(&url),
        "DELETE" => Request::delete(&url),
        _ => Request::get(&url),
    };
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder = with_access_key(builder);
    let request = match body {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    finish(response).await
}
