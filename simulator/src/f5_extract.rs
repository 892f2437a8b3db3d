//! Request extractors of the F5 devices (JSON body, path parameters) and how they take
//! requests at all (`device_guard`): refusals come back in the REST framework shape instead
//! of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::guard::DeviceGuard;
use crate::payload::read_json;
use crate::peer::peer_of;
use crate::rest_error::{self, F5Error};
use crate::server::ServerLimits;

/// Largest request body a simulated BIG-IP or BIG-IQ reads; larger → 413 in the framework
/// shape. The devices document no limit for JSON calls: the one documented bound on iControl
/// REST request bodies is the 1 MiB chunk of file uploads (`/mgmt/shared/file-transfer`), and
/// JSON declarations of several MB (AS3) are posted in practice, so the simulator takes 4 MiB
/// — far above any call it serves, and enough for a load test's 1 MiB bodies.
pub const F5_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How a BIG-IP or BIG-IQ takes requests: bodies up to [`F5_BODY_LIMIT`], as many requests
/// in progress as the server allows, refusals in the REST framework's shape.
pub fn device_guard(limits: &ServerLimits) -> DeviceGuard {
    DeviceGuard {
        body_limit: F5_BODY_LIMIT,
        max_in_flight: limits.max_requests_in_flight,
        refuse: rest_error::refuse,
    }
}

/// A request body that is empty (`None`) or a JSON value.
#[derive(Debug, Clone)]
pub struct F5Body(pub Option<Value>);

impl<S: Send + Sync> FromRequest<S> for F5Body {
    type Rejection = F5Error;

    async fn from_request(request: Request, _state: &S) -> Result<Self, F5Error> {
        let (parts, body) = request.into_parts();
        read_json(&parts.headers, body, F5_BODY_LIMIT)
            .await
            .map(F5Body)
            .map_err(|err| F5Error::payload(&err, &peer_of(&parts)))
    }
}

/// Path parameters; undecodable ones (e.g. `%FF`) are a 400 in the framework shape.
#[derive(Debug, Clone)]
pub struct F5Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for F5Path<T> {
    type Rejection = F5Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, F5Error> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(F5Path(value)),
            Err(rejection) => Err(F5Error::framework(
                StatusCode::BAD_REQUEST,
                rejection.body_text(),
                &peer_of(parts),
            )),
        }
    }
}
