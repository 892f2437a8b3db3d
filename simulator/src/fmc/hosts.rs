//! `/api/fmc_config/v1/domain/<DOMAIN_UUID>/object/hosts`: paged list (`offset`, `limit`,
//! `expanded`), create (one, or many with `?bulk=true`), and GET/PUT/DELETE one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::auth::FmcCaller;
use super::extract::{FmcBody, FmcPath};
use super::host_store::{Host, find_domain};
use super::{Fmc, FmcError, origin};
use crate::f5_extract::query_param;

/// Page size when `limit` is not given, and the largest FMC accepts.
pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 1000;

fn number(query: Option<&str>, name: &str, default: usize) -> Result<usize, FmcError> {
    match query_param(query, name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| {
            FmcError::BadRequest(format!(
                "Invalid value {text:?} for query parameter {name}."
            ))
        }),
    }
}

fn is_true(query: Option<&str>, name: &str) -> bool {
    query_param(query, name).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `GET …/object/hosts?offset=&limit=&expanded=`. `limit` is clamped to 1..=1000. Empty
/// results leave out `items` and report a zero page.
pub async fn list(
    State(fmc): State<Fmc>,
    _caller: FmcCaller,
    FmcPath(domain): FmcPath<String>,
    parts: Parts,
) -> Result<Json<Value>, FmcError> {
    let domain = find_domain(&domain)?;
    let query = parts.uri.query();
    let offset = number(query, "offset", 0)?;
    let limit = number(query, "limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
    let expanded = is_true(query, "expanded");
    let origin = origin(&parts);
    let hosts = fmc.hosts();
    let (page, total) = hosts.page(domain, offset, limit);
    let link = |offset: usize| {
        let expanded = if expanded { "&expanded=true" } else { "" };
        format!(
            "{origin}{}?offset={offset}&limit={limit}{expanded}",
            parts.uri.path()
        )
    };
    let mut body = json!({"links": {"self": link(offset)}});
    if total == 0 {
        body["paging"] = json!({"offset": 0, "limit": 0, "count": 0, "pages": 0});
        return Ok(Json(body));
    }
    let mut paging =
        json!({"offset": offset, "limit": limit, "count": total, "pages": total.div_ceil(limit)});
    if offset + limit < total {
        paging["next"] = json!([link(offset + limit)]);
    }
    if offset > 0 {
        paging["previous"] = json!([link(offset.saturating_sub(limit))]);
    }
    if !page.is_empty() {
        body["items"] = page.iter().map(|h| h.to_json(&origin, expanded)).collect();
    }
    body["paging"] = paging;
    Ok(Json(body))
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
    if is_true(parts.uri.query(), "bulk") {
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
