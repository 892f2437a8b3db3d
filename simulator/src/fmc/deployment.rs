//! `GET /api/fmc_config/v1/domain/<DOMAIN_UUID>/deployment/deployabledevices`: the simulated
//! FMC manages no firewalls, so nothing is ever pending deployment. fmcapi asks for this list
//! on exit when `autodeploy` is on (its default).

use axum::Json;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::auth::FmcCaller;
use super::extract::FmcPath;
use super::host_store::find_domain;
use super::{FmcError, origin};

pub async fn deployable_devices(
    _caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    find_domain(&domain)?;
    Ok(Json(json!({
        "links": {"self": format!("{}{}?offset=0&limit=25", origin(&parts), parts.uri.path())},
        "paging": {"offset": 0, "limit": 0, "count": 0, "pages": 0},
    })))
}
