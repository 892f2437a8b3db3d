//! FMC's paging, as every collection answers: `offset`, `limit` (25 by default, at most
//! 1000) and `expanded` in the query; `links.self` and the `paging` object (`offset`,
//! `limit`, `count`, `pages`, and `next` / `previous` links) in the reply, every link written
//! with the address the client called.

use axum::Json;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::FmcError;
use crate::origin::origin;
use crate::query::{query_flag, query_param};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 25;
/// The largest page FMC serves; bigger limits are clamped to it.
pub const MAX_LIMIT: usize = 1000;

/// What a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub offset: usize,
    pub limit: usize,
    /// Whole objects rather than their short form (links, type, name, id).
    pub expanded: bool,
}

impl PageRequest {
    /// Read `offset`, `limit` and `expanded` from a raw query. A `limit` is clamped to
    /// 1..=1000; a value that is not a number is a 400.
    pub fn from_query(query: Option<&str>) -> Result<Self, FmcError> {
        Ok(Self {
            offset: number(query, "offset", 0)?,
            limit: number(query, "limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT),
            expanded: query_flag(query, "expanded"),
        })
    }

    /// The window of `items` this page shows.
    pub fn window<T>(&self, items: impl IntoIterator<Item = T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect()
    }
}

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

/// One page of a collection of `total` objects: `items` (left out when the page is empty)
/// and `paging`. `base` is the collection's URL as the client called it, without a query.
pub fn page(base: &str, request: &PageRequest, total: usize, items: Vec<Value>) -> Value {
    let link = |offset: usize| {
        let expanded = if request.expanded {
            "&expanded=true"
        } else {
            ""
        };
        format!("{base}?offset={offset}&limit={}{expanded}", request.limit)
    };
    let mut body = json!({"links": {"self": link(request.offset)}});
    if total == 0 {
        body["paging"] = json!({"offset": 0, "limit": 0, "count": 0, "pages": 0});
        return body;
    }
    let mut paging = json!({
        "offset": request.offset,
        "limit": request.limit,
        "count": total,
        "pages": total.div_ceil(request.limit),
    });
    if request.offset + request.limit < total {
        paging["next"] = json!([link(request.offset + request.limit)]);
    }
    if request.offset > 0 {
        paging["previous"] = json!([link(request.offset.saturating_sub(request.limit))]);
    }
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    body["paging"] = paging;
    body
}

/// A whole collection of objects, paged as the client asked: only the page's objects are
/// rendered, short or expanded, with links on the address the client called.
pub fn paged_objects<T>(
    parts: &Parts,
    all: &[T],
    render: impl Fn(&T, &str, bool) -> Value,
) -> Result<Json<Value>, FmcError> {
    let request = PageRequest::from_query(parts.uri.query())?;
    let origin = origin(parts);
    let items = request
        .window(all)
        .into_iter()
        .map(|object| render(object, &origin, request.expanded))
        .collect();
    let base = format!("{origin}{}", parts.uri.path());
    Ok(Json(page(&base, &request, all.len(), items)))
}

/// A whole collection of already rendered objects, paged as the client asked.
pub fn paged(parts: &Parts, all: Vec<Value>) -> Result<Json<Value>, FmcError> {
    paged_objects(parts, &all, |object, _, _| object.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_their_neighbours() {
        let request = PageRequest::from_query(Some("offset=25&limit=25&expanded=true")).unwrap();
        let body = page("https://fmc/x", &request, 180, vec![json!({"id": 1})]);
        assert_eq!(
            body["links"]["self"],
            "https://fmc/x?offset=25&limit=25&expanded=true"
        );
        assert_eq!(body["paging"]["pages"], 8);
        assert_eq!(
            body["paging"]["next"][0],
            "https://fmc/x?offset=50&limit=25&expanded=true"
        );
        assert_eq!(
            body["paging"]["previous"][0],
            "https://fmc/x?offset=0&limit=25&expanded=true"
        );
        let last = PageRequest::from_query(Some("offset=175")).unwrap();
        assert!(
            page("https://fmc/x", &last, 180, vec![])
                .pointer("/paging/next")
                .is_none()
        );
        assert_eq!(
            PageRequest::from_query(Some("limit=5000")).unwrap().limit,
            MAX_LIMIT
        );
        assert_eq!(PageRequest::from_query(Some("limit=0")).unwrap().limit, 1);
        assert!(PageRequest::from_query(Some("offset=x")).is_err());
        assert_eq!(
            PageRequest::from_query(None).unwrap().window(0..100).len(),
            25
        );
    }
}
