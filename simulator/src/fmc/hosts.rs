//! `/api/fmc_config/v1/domain/<DOMAIN_UUID>/object/hosts`: paged list (`offset`, `limit`,
//! `expanded`), create (one, or many with `?bulk=true`), and GET/PUT/DELETE one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::auth::FmcCaller;
use super::domains::find_domain;
use super::error::FmcError;
use super::extract::{FmcBody, FmcPath};
use super::host_store::Host;
use super::paging::paged_objects;
use super::state::Fmc;
use crate::origin::origin;
use crate::query::query_flag;

/// `GET …/object/hosts?offset=&limit=&expanded=`, paged as every FMC collection is.
pub async fn list(
    State(fmc): State<Fmc>,
    _caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let hosts = fmc.hosts();
    paged_objects(
        &parts,
        &hosts.in_domain(domain),
        |host, origin, expanded| host.to_json(origin, expanded),
    )
}

/// `POST …/object/hosts` → 201 with the new object (expanded form). With `?bulk=true` the
/// body is an array and the reply lists every created object; one bad entry creates none.
pub async fn create(
    State(fmc): State<Fmc>,
    caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
    FmcBody(body): FmcBody,
) -> Result<(StatusCode, Json<Value>), FmcError> {
    let domain = find_domain(&domain)?;
    let origin = origin(&parts);
    let now = fmc.now_micros();
    let mut hosts = fmc.hosts();
    if query_flag(parts.uri.query(), "bulk") {
        let entries = body
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![body.clone()]);
        let created = hosts.create_all(domain, &entries, &caller.user, now)?;
        let items: Vec<Value> = created.iter().map(|h| h.to_json(&origin, true)).collect();
        return Ok((StatusCode::CREATED, Json(json!({"items": items}))));
    }
    let host = hosts.create(domain, &body, &caller.user, now)?;
    Ok((StatusCode::CREATED, Json(host.to_json(&origin, true))))
}

fn expanded_reply(host: &Host, parts: &Parts) -> Json<Value> {
    Json(host.to_json(&origin(parts), true))
}

pub async fn get_one(
    State(fmc): State<Fmc>,
    _caller: FmcCaller,
    FmcPath((domain, id)): FmcPath<(String, String)>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let hosts = fmc.hosts();
    Ok(expanded_reply(hosts.get(domain, &id)?, &parts))
}

pub async fn update(
    State(fmc): State<Fmc>,
    caller: FmcCaller,
    FmcPath((domain, id)): FmcPath<(String, String)>,
    parts: Parts,
    FmcBody(body): FmcBody,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let now = fmc.now_micros();
    let host = fmc.hosts().update(domain, &id, &body, &caller.user, now)?;
    Ok(expanded_reply(&host, &parts))
}

/// `DELETE` → 200 with the deleted object.
pub async fn delete(
    State(fmc): State<Fmc>,
    _caller: FmcCaller,
    FmcPath((domain, id)): FmcPath<(String, String)>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let host = fmc.hosts().delete(domain, &id)?;
    Ok(expanded_reply(&host, &parts))
}
