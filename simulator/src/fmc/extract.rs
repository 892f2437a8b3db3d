//! Request extractors of the FMC (JSON body, path parameters): refusals come back in FMC's
//! error shape instead of axum's plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{FMC_BODY_LIMIT, FmcError};
use crate::payload::read_json;

/// A JSON body under FMC's 2,048,000-byte limit; refusals come back in FMC's error shape.
pub struct FmcBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for FmcBody {
    type Rejection = FmcError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, FmcError> {
        let (parts, body) = request.into_parts();
        let value = read_json(&parts.headers, body, FMC_BODY_LIMIT).await?;
        value
            .map(FmcBody)
            .ok_or_else(|| FmcError::BadRequest("Invalid input: the request body is empty.".into()))
    }
}

/// Path parameters; undecodable ones (e.g. `%FF`) are a 400.
pub struct FmcPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for FmcPath<T> {
    type Rejection = FmcError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, FmcError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| FmcPath(value))
            .map_err(|rejection| FmcError::BadRequest(rejection.body_text()))
    }
}
