//! Request extractors of the F5 devices (JSON body, path parameters, query): refusals come
//! back in the REST framework shape instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::payload::read_json;
use crate::peer::peer_of;
use crate::rest_error::F5Error;

/// Largest request body a simulated BIG-IP or BIG-IQ reads (unverified: the devices' own
/// limit is not documented; 4 MiB is far above any configuration call). Larger → 413.
pub const F5_BODY_LIMIT: usize = 4 * 1024 * 1024;

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

/// Query parameters, leniently decoded (a malformed query never fails a request).
pub fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

/// The value of query parameter `name`, if given.
pub fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    query_params(raw)
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}
