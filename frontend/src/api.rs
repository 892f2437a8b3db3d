//! The app's only way out: calls to the relay (`/api/...`), and through it to devices, sent with
//! gloo-net. Replies come back as data (`shared::devices::Reply`: status, headers, body); errors
//! say whether the relay or the device refused, in words for a person (a device's in the words
//! of its kind's error shapes).

use std::fmt;

use gloo_net::http::{Request as Fetch, Response};
use shared::devices::error::{advice, device_error_message};
use shared::devices::{Call, Profile, Reply};
use shared::wire::{
    ACCESS_KEY_HEADER, AdHocRequest, CertificateProbe, DeviceKind, DeviceSummary,
    RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode, RelayInfo, TrustRequest, forward_path,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, Request, RequestInit};

use crate::platform::storage::{self, Scope};

/// Why a call did not give the app what it asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The relay could not (or would not) complete the call: device down, certificate
    /// changed, budget held, …
    Relay { status: u16, body: RelayErrorBody },
    /// The device answered with an error status; `body` is what it sent.
    Device {
        status: u16,
        message: String,
        advice: Option<&'static str>,
        body: String,
        retry_after: Option<u64>,
        /// The reply's `Date`: the device's clock shows in its refusals too.
        date: Option<String>,
    },
    /// The relay itself could not be reached.
    Network,
    /// The reply was not what this kind of device sends.
    Unexpected(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Relay { body, .. } => f.write_str(&body.message),
            ApiError::Device {
                status,
                message,
                advice,
                ..
            } => {
                write!(f, "The device answered {status}: {message}")?;
                if let Some(advice) = advice {
                    write!(f, " {advice}")?;
                }
                Ok(())
            }
            ApiError::Network => f.write_str(
                "Could not reach the Tokendeck relay. Check that it is still running, then try again.",
            ),
            ApiError::Unexpected(detail) => f.write_str(detail),
        }
    }
}

impl ApiError {
    /// Status and message as the lifecycle machine wants them (0: the device never answered).
    pub fn status_and_message(&self) -> (u16, String) {
        match self {
            ApiError::Device {
                status, message, ..
            } => (*status, message.clone()),
            other => (0, other.to_string()),
        }
    }

    /// The relay's error code, if the relay refused.
    pub fn relay_code(&self) -> Option<RelayErrorCode> {
        match self {
            ApiError::Relay { body, .. } => Some(body.code),
            _ => None,
        }
    }

    /// Whether the relay wants (another) access key.
    pub fn needs_access_key(&self) -> bool {
        matches!(
            self.relay_code(),
            Some(RelayErrorCode::AccessKeyRequired | RelayErrorCode::AccessKeyWrong)
        )
    }

    /// Whether the relay refused because of the device's certificate.
    pub fn is_trust_problem(&self) -> bool {
        matches!(
            self.relay_code(),
            Some(RelayErrorCode::UntrustedCertificate | RelayErrorCode::PinMismatch)
        )
    }

    /// A 429: `Some(retry after, held by the relay rather than refused by the device)`.
    pub fn rate_limited(&self) -> Option<(Option<u64>, bool)> {
        match self {
            ApiError::Device {
                status: 429,
                retry_after,
                ..
            } => Some((*retry_after, false)),
            ApiError::Relay { body, .. } if body.code == RelayErrorCode::DeviceBudget => {
                Some((body.retry_after_secs, true))
            }
            _ => None,
        }
    }
}

/// Read a reply: a relay error (marked by its header), a device error (read by the device's
/// kind, when the call went to a device), or the reply as data.
async fn finish(response: Response, device: Option<&Profile>) -> Result<Reply, ApiError> {
    let status = response.status();
    // Names lowercased, as the browser gives them.
    let headers: Vec<(String, String)> = response.headers().entries().collect();
    let from_relay = headers.iter().any(|(n, _)| n == RELAY_ERROR_HEADER);
    // A body that cannot be read (the connection dropped mid-reply) is an unreachable relay.
    let body = response.text().await.map_err(|_| ApiError::Network)?;
    if from_relay {
        return Err(match serde_json::from_str::<RelayErrorBody>(&body) {
            Ok(relay) => ApiError::Relay {
                status,
                body: relay,
            },
            Err(_) => ApiError::Unexpected(format!(
                "The relay answered {status} in a form this console does not know. Reload the page."
            )),
        });
    }
    if status >= 400 {
        let message = device
            .and_then(|profile| device_error_message(profile, &body))
            .unwrap_or_else(|| {
                if body.trim().is_empty() {
                    response.status_text()
                } else {
                    body.chars().take(300).collect()
                }
            });
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        return Err(ApiError::Device {
            status,
            advice: device.and_then(|profile| advice(profile, status, &message)),
            message,
            body,
            retry_after: header("retry-after").and_then(|v| v.trim().parse().ok()),
            date: header("date"),
        });
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The relay's access key, if the user entered one in this tab.
pub fn access_key() -> Option<String> {
    storage::load_text(Scope::Tab, storage::ACCESS_KEY)
}

pub fn set_access_key(key: &str) {
    storage::save_text(Scope::Tab, storage::ACCESS_KEY, key);
}

/// What the browser said when it refused to build a request (e.g. a header value it does not
/// allow), as a sentence.
fn refused(err: JsValue) -> ApiError {
    let detail = err
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default();
    ApiError::Unexpected(format!("The browser cannot send this request: {detail}"))
}

/// One request to the relay (same origin), with the access key if the user gave one. A header
/// named twice keeps its last value. `device`: the kind of device the call goes to, whose error
/// shapes a refusal is read by.
async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<String>,
    device: Option<&Profile>,
) -> Result<Reply, ApiError> {
    // The browser's own `Headers`, filled with its fallible `set`: gloo-net's header setters
    // throw on a value the browser refuses, which would abandon this call instead of saying so.
    let all = Headers::new().map_err(refused)?;
    for (name, value) in headers {
        all.set(name, value).map_err(refused)?;
    }
    if let Some(key) = access_key() {
        all.set(ACCESS_KEY_HEADER, &key).map_err(refused)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        all.set("Content-Type", "application/json")
            .map_err(refused)?;
        init.set_body(&JsValue::from(body));
    }
    init.set_headers(&all);
    // Built first, so a request the browser refuses to make (a GET with a body, say) is told
    // apart from a relay that cannot be reached; and built here rather than by gloo-net's
    // builder, which adds a stray `&` to a URL that has a query (rustwasm/gloo#498).
    let request = Request::new_with_str_and_init(url, &init).map_err(refused)?;
    let response = Fetch::from(request)
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    finish(response, device).await
}

fn json<T: serde::de::DeserializeOwned>(reply: Reply) -> Result<T, ApiError> {
    serde_json::from_str(&reply.body).map_err(|e| {
        ApiError::Unexpected(format!(
            "The relay's answer could not be read ({e}). Reload the page."
        ))
    })
}

/// The relay's inventory.
pub async fn list_devices() -> Result<Vec<DeviceSummary>, ApiError> {
    json(send("GET", "/api/devices", &[], None, None).await?)
}

/// What the relay offers besides its inventory (an older relay without `/api/info` offers
/// nothing more).
pub async fn relay_info() -> RelayInfo {
    match send("GET", "/api/info", &[], None, None).await {
        Ok(reply) => json(reply).unwrap_or_default(),
        Err(_) => RelayInfo::default(),
    }
}

/// The certificate a device presents to the relay right now.
pub async fn probe(device_id: &str) -> Result<CertificateProbe, ApiError> {
    let url = format!("/api/devices/{device_id}/probe");
    json(send("POST", &url, &[], None, None).await?)
}

/// Pin the certificate (or key) with this fingerprint.
pub async fn trust(device_id: &str, fingerprint: &str) -> Result<DeviceSummary, ApiError> {
    let body = serde_json::to_string(&TrustRequest {
        fingerprint: fingerprint.to_owned(),
    })
    .unwrap_or_default();
    let url = format!("/api/devices/{device_id}/trust");
    json(send("POST", &url, &[], Some(body), None).await?)
}

/// Ask the relay to admit a device by URL.
pub async fn add_device(kind: DeviceKind, base_url: &str) -> Result<DeviceSummary, ApiError> {
    let body = serde_json::to_string(&AdHocRequest {
        kind,
        base_url: base_url.trim().to_owned(),
    })
    .unwrap_or_default();
    json(send("POST", "/api/devices", &[], Some(body), None).await?)
}

/// One call to a device of this kind through the relay, with exactly the call's headers.
pub async fn device_call(
    device_id: &str,
    profile: &Profile,
    call: &Call,
) -> Result<Reply, ApiError> {
    let url = forward_path(device_id, &call.path);
    let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
    headers.extend(call.headers.iter().cloned());
    send(
        call.method,
        &url,
        &headers,
        call.body.clone(),
        Some(profile),
    )
    .await
}
