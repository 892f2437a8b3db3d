//! Collections and facts described as data, so one generic table (and one key/value list) in the
//! console renders every kind's pages: a [`Collection`] names where the items are and which
//! [`Column`]s to show, as JSON pointers into each item.

use serde_json::Value;

use super::ProtocolError;

/// One column: its heading and where each item keeps the value (a JSON pointer, e.g.
/// `/hostname` or `/metadata/domain/name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub label: &'static str,
    pub pointer: &'static str,
}

/// A list page: where the items are in the reply, which columns to show, and where each item
/// links to itself (for the Explorer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collection {
    pub items: &'static str,
    pub columns: &'static [Column],
    pub self_link: Option<&'static str>,
}

/// What a collection reply holds, ready to render.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rows {
    /// One row per item, one cell per column.
    pub cells: Vec<Vec<String>>,
    /// Each item's own link, if the collection names one.
    pub links: Vec<Option<String>>,
    /// Items on the device in all (when a paged reply says).
    pub total: Option<u64>,
}

/// Read a collection reply; an empty collection may omit its items (F5 does). `total` is where
/// a paged reply says how many items there are in all (`Paging::total`).
pub fn read_rows(
    collection: &Collection,
    body: &str,
    total: Option<&str>,
) -> Result<Rows, ProtocolError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| ProtocolError::not_json("list", &e))?;
    let items = match value.pointer(collection.items) {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => {
            return Err(ProtocolError::Missing {
                what: "list",
                missing: format!("a list at {}", collection.items),
            });
        }
    };
    Ok(Rows {
        cells: items
            .iter()
            .map(|item| {
                collection
                    .columns
                    .iter()
                    .map(|c| cell_text(item.pointer(c.pointer)))
                    .collect()
            })
            .collect(),
        links: items
            .iter()
            .map(|item| {
                collection
                    .self_link
                    .and_then(|p| item.pointer(p))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect(),
        total: total
            .and_then(|pointer| value.pointer(pointer))
            .and_then(Value::as_u64),
    })
}

/// Label and value rows from a JSON object; fields the device left out are skipped.
pub fn read_facts(
    fields: &[Column],
    body: &str,
) -> Result<Vec<(&'static str, String)>, ProtocolError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| ProtocolError::not_json("reply", &e))?;
    Ok(fields
        .iter()
        .filter_map(|f| {
            value
                .pointer(f.pointer)
                .filter(|v| !v.is_null())
                .map(|v| (f.label, cell_text(Some(v))))
        })
        .collect())
}

/// What a cell shows for a JSON value: text as is, numbers and booleans written out, lists of
/// plain values joined, anything else as compact JSON; "—" for nothing.
pub fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) if s.is_empty() => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
            .iter()
            .map(|i| cell_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEVICES: Collection = Collection {
        items: "/items",
        columns: &[
            Column {
                label: "Name",
                pointer: "/name",
            },
            Column {
                label: "Version",
                pointer: "/sw/version",
            },
            Column {
                label: "HA",
                pointer: "/ha",
            },
        ],
        self_link: Some("/links/self"),
    };

    #[test]
    fn reads_rows_by_pointer() {
        let body = r#"{"items":[{"name":"a","sw":{"version":"7.4"},"ha":true,"links":{"self":"https://x/a"}},
                                  {"name":"b","ha":false}],"paging":{"count":2}}"#;
        let rows = read_rows(&DEVICES, body, Some("/paging/count")).unwrap();
        assert_eq!(rows.cells[0], vec!["a", "7.4", "yes"]);
        assert_eq!(rows.cells[1], vec!["b", "—", "no"]);
        assert_eq!(rows.links, vec![Some("https://x/a".into()), None]);
        assert_eq!(rows.total, Some(2));
    }

    #[test]
    fn empty_collections_may_omit_items_but_not_be_something_else() {
        assert_eq!(read_rows(&DEVICES, "{}", None).unwrap().cells.len(), 0);
        assert!(read_rows(&DEVICES, r#"{"items":3}"#, None).is_err());
        assert!(read_rows(&DEVICES, "<html>", None).is_err());
    }

    #[test]
    fn facts_skip_what_the_device_left_out() {
        let facts = read_facts(DEVICES.columns, r#"{"name":"bigiq1","ha":null}"#).unwrap();
        assert_eq!(facts, vec![("Name", "bigiq1".to_string())]);
        assert_eq!(cell_text(Some(&serde_json::json!(["a", 1]))), "a, 1");
    }
}
