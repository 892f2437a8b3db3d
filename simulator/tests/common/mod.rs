//! Shared helpers for the integration tests: start a device on `127.0.0.1:0` with a manual
//! clock and talk to it over real HTTPS, trusting only that device's own certificate.
#![allow(dead_code)]

pub mod raw;

use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use shared::wire::DeviceKind;
use simulator::{Clock, RunningDevice, SimConfig};

pub struct Sim {
    pub device: RunningDevice,
    pub clock: Clock,
    pub http: Client,
}

impl Sim {
    pub async fn start(kind: DeviceKind) -> Sim {
        Self::start_with(kind, SimConfig::default()).await
    }

    pub async fn start_with(kind: DeviceKind, config: SimConfig) -> Sim {
        let clock = Clock::manual();
        let config = SimConfig {
            clock: clock.clone(),
            ..config
        };
        let device = simulator::start(kind, "127.0.0.1:0".parse().unwrap(), config)
            .await
            .expect("device starts");
        let http = client_for(&device);
        Sim {
            device,
            clock,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.device.base_url())
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path))
    }

    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.patch(self.url(path))
    }

    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.put(self.url(path))
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path))
    }

    /// BIG-IP / BIG-IQ login; returns the whole reply body.
    pub async fn f5_login(&self, user: &str, password: &str) -> Value {
        let reply = self
            .post("/mgmt/shared/authn/login")
            .json(&json!({"username": user, "password": password, "loginProviderName": "tmos"}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK, "login of {user}");
        reply.json().await.unwrap()
    }

    /// An FMC access token for `user`, from `generatetoken`.
    pub async fn fmc_token(&self, user: &str, password: &str) -> String {
        let reply = self
            .post("/api/fmc_platform/v1/auth/generatetoken")
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            StatusCode::NO_CONTENT,
            "generatetoken of {user}"
        );
        reply.headers()["x-auth-access-token"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A BIG-IP token for `user`.
    pub async fn token(&self, user: &str, password: &str) -> String {
        self.f5_login(user, password).await["token"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// A client that trusts exactly the device's self-signed certificate.
pub fn client_for(device: &RunningDevice) -> Client {
    let cert = reqwest::Certificate::from_pem(device.cert_pem.as_bytes()).unwrap();
    Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .https_only(true)
        .build()
        .unwrap()
}

/// Send `request` with `token` in the `header` a device reads it from; status and JSON body.
pub async fn with_token(
    request: reqwest::RequestBuilder,
    header: &str,
    token: &str,
) -> (StatusCode, Value) {
    status_json(request.header(header, token).send().await.unwrap()).await
}

/// [`with_token`] for BIG-IP and BIG-IQ: the token in `X-F5-Auth-Token`.
pub async fn f5_call(request: reqwest::RequestBuilder, token: &str) -> (StatusCode, Value) {
    with_token(request, "X-F5-Auth-Token", token).await
}

/// Status and JSON body (`Value::Null` for an empty body).
pub async fn status_json(reply: Response) -> (StatusCode, Value) {
    let status = reply.status();
    let text = reply.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

/// Assert an iControl REST framework error body with this code and message.
pub fn assert_framework_error(body: &Value, code: u16, message: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert_eq!(body["kind"], ":resterrorresponse", "{body}");
    assert_eq!(body["referer"], "127.0.0.1", "{body}");
    assert!(body["restOperationId"].is_u64(), "{body}");
}

/// Assert an iControl REST configuration error body with this code and message.
pub fn assert_configuration_error(body: &Value, code: u16, message: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert_eq!(body["errorStack"], json!([]), "{body}");
    assert!(body["apiError"].is_u64(), "{body}");
}
