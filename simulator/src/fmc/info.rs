//! `/api/fmc_platform/v1/info/…`: server version and the domain list.

use axum::Json;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::auth::FmcCaller;
use super::{DOMAINS, origin};

/// The version the simulated FMC reports.
pub const SERVER_VERSION: &str = "7.4.1 (build 172)";

fn single_page(parts: &Parts, items: Vec<Value>) -> Json<Value> {
    let count = items.len();
    Json(json!({
        "links": {"self": format!("{}{}?offset=0&limit={count}", origin(parts), parts.uri.path())},
        "items": items,
        "paging": {"offset": 0, "limit": count, "count": count, "pages": 1},
    }))
}

/// `GET /api/fmc_platform/v1/info/serverversion`.
pub async fn server_version(_caller: FmcCaller, parts: Parts) -> Json<Value> {
    single_page(
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

/// `GET /api/fmc_platform/v1/info/domain`.
pub async fn domains(_caller: FmcCaller, parts: Parts) -> Json<Value> {
    let items = DOMAINS
        .iter()
        .map(|d| json!({"uuid": d.uuid, "name": d.name, "type": "Domain"}))
        .collect();
    single_page(&parts, items)
}
