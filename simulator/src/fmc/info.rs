//! `/api/fmc_platform/v1/info/…`: server version and the domain list, paged like every FMC
//! collection.

use axum::Json;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::FmcError;
use super::auth::FmcCaller;
use super::domains::DOMAINS;
use super::paging::paged;

/// The version the simulated FMC reports.
pub const SERVER_VERSION: &str = "7.4.1 (build 172)";

/// `GET /api/fmc_platform/v1/info/serverversion`.
pub async fn server_version(_caller: FmcCaller, parts: Parts) -> Result<Json<Value>, FmcError> {
    paged(
        &parts,
        vec![json!({
            "serverVersion": SERVER_VERSION,
            "geoVersion": "2024-03-20-100",
            "vdbVersion": "build 376 ( 2024-02-27 17:55:29 )",
            "sruVersion": "2024-03-13-001-vrt",
            "lspVersion": "lsp-rel-20240313-1533",
            "type": "ServerVersion",
        })],
    )
}

/// `GET /api/fmc_platform/v1/info/domain`: every domain, `Global` first.
pub async fn domains(_caller: FmcCaller, parts: Parts) -> Result<Json<Value>, FmcError> {
    let items = DOMAINS
        .iter()
        .map(|d| json!({"uuid": d.uuid, "name": d.name, "type": "Domain"}))
        .collect();
    paged(&parts, items)
}
