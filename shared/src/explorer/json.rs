//! Pretty JSON in the device's own key order, cut into text and links: every string value that
//! links to the same device (the kind's link host, or the device's own address) becomes a link.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::devices::links::device_target;

/// A JSON value that keeps object keys in the order the device sent them.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

/// A piece of the pretty-printed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// A device link: `text` as the device wrote it; `path` and `query` to request it again.
    Link {
        text: String,
        path: String,
        query: String,
    },
}

/// The body pretty-printed (two-space indent, the device's key order) as text and links, or
/// `None` when it is not JSON. Links are strings naming `link_host` (the kind's, if it has one)
/// or the device's own `base_url`.
pub fn pretty_segments(
    body: &str,
    base_url: &str,
    link_host: Option<&str>,
) -> Option<Vec<Segment>> {
    let value: Json = serde_json::from_str(body).ok()?;
    let mut out = Writer {
        segments: Vec::new(),
        base_url,
        link_host,
    };
    out.value(&value, 0);
    Some(out.segments)
}

struct Writer<'a> {
    segments: Vec<Segment>,
    base_url: &'a str,
    link_host: Option<&'a str>,
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

impl Writer<'_> {
    fn text(&mut self, s: &str) {
        if let Some(Segment::Text(last)) = self.segments.last_mut() {
            last.push_str(s);
        } else {
            self.segments.push(Segment::Text(s.to_string()));
        }
    }

    fn newline(&mut self, depth: usize) {
        self.text("\n");
        self.text(&"  ".repeat(depth));
    }

    fn value(&mut self, value: &Json, depth: usize) {
        match value {
            Json::Null => self.text("null"),
            Json::Bool(b) => self.text(if *b { "true" } else { "false" }),
            Json::Number(n) => self.text(&n.to_string()),
            Json::String(s) => match device_target(s, self.base_url, self.link_host) {
                Some((path, query)) => {
                    let inner = quoted(s);
                    self.text("\"");
                    self.segments.push(Segment::Link {
                        text: inner[1..inner.len() - 1].to_string(),
                        path,
                        query,
                    });
                    self.text("\"");
                }
                None => self.text(&quoted(s)),
            },
            Json::Array(items) if items.is_empty() => self.text("[]"),
            Json::Array(items) => {
                self.text("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.text(",");
                    }
                    self.newline(depth + 1);
                    self.value(item, depth + 1);
                }
                self.newline(depth);
                self.text("]");
            }
            Json::Object(entries) if entries.is_empty() => self.text("{}"),
            Json::Object(entries) => {
                self.text("{");
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.text(",");
                    }
                    self.newline(depth + 1);
                    self.text(&quoted(key));
                    self.text(": ");
                    self.value(item, depth + 1);
                }
                self.newline(depth);
                self.text("}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_print_keeps_the_device_key_order_and_cuts_out_links() {
        let body = r#"{"kind":"k","selfLink":"https://localhost/mgmt/tm/sys?ver=17.1.3","items":[],"n":1.5,"ok":true,"none":null}"#;
        let segments =
            pretty_segments(body, "https://10.0.0.1", Some("https://localhost")).unwrap();
        assert_eq!(
            segments,
            vec![
                Segment::Text("{\n  \"kind\": \"k\",\n  \"selfLink\": \"".into()),
                Segment::Link {
                    text: "https://localhost/mgmt/tm/sys?ver=17.1.3".into(),
                    path: "/mgmt/tm/sys".into(),
                    query: "ver=17.1.3".into(),
                },
                Segment::Text(
                    "\",\n  \"items\": [],\n  \"n\": 1.5,\n  \"ok\": true,\n  \"none\": null\n}"
                        .into()
                ),
            ]
        );
        assert_eq!(pretty_segments("not json", "", None), None);
        assert_eq!(
            pretty_segments("[\"a\\\"b\"]", "", None).unwrap(),
            vec![Segment::Text("[\n  \"a\\\"b\"\n]".into())]
        );
    }
}
