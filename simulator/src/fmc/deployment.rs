//! `GET /api/fmc_config/v1/domain/<DOMAIN_UUID>/deployment/deployabledevices`: every device
//! of the simulated FMC is deployed, so nothing is ever pending. fmcapi asks for this list on
//! exit when `autodeploy` is on (its default).

use axum::Json;
use axum::http::request::Parts;
use serde_json::Value;

use super::FmcError;
use super::auth::FmcCaller;
use super::domains::find_domain;
use super::extract::FmcPath;
use super::paging::paged;

pub async fn deployable_devices(
    _caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    find_domain(&domain)?;
    paged(&parts, Vec::new())
}
