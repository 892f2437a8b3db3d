//! The Explorer's model, for any kind: what a typed request means (the scope placeholder
//! filled, a pasted device link mapped back to a path, the query field as the fallback), which
//! methods send a body and whether it is JSON, query chips, the path as breadcrumbs, and a reply
//! as pretty JSON in the device's key order with its links cut out ([`json`]). The console's
//! Explorer page keeps the signals and the markup.

pub mod json;

use crate::devices::Profile;
use crate::devices::links::split_target;
use crate::devices::scope;

/// The methods the Explorer sends (the relay forwards these and `HEAD`).
pub const METHODS: [&str; 5] = ["GET", "POST", "PATCH", "PUT", "DELETE"];

/// The method as the Explorer sends it: one of [`METHODS`], `GET` for anything else.
pub fn method(typed: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(typed.trim()))
        .copied()
        .unwrap_or("GET")
}

/// Methods whose requests carry the body.
pub fn sends_body(method: &str) -> bool {
    matches!(method, "POST" | "PATCH" | "PUT")
}

/// The body to send: `None` when blank, the text when it is JSON, the parse error otherwise.
pub fn checked_body(text: &str) -> Result<Option<String>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| Some(text.to_string()))
        .map_err(|e| format!("The body is not valid JSON ({e}), so nothing was sent."))
}

/// `name=value` added to (or replacing the `name` in) a query.
pub fn with_param(query: &str, name: &str, value: &str) -> String {
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_string)
        .collect();
    parts.push(format!("{name}={value}"));
    parts.join("&")
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: String,
    /// Without its `?`.
    pub query: String,
}

impl Target {
    /// What a user typed: the path field (a path, or a whole device link, with the kind's
    /// scope placeholder filled with the chosen scope) and the query field, which counts only
    /// when the path brought no query of its own.
    pub fn typed(
        profile: &Profile,
        base_url: &str,
        scope_id: Option<&str>,
        path: &str,
        query: &str,
    ) -> Self {
        let path = match (profile.scope, scope_id) {
            (Some(rule), Some(id)) => scope::fill(&rule, path, id),
            _ => path.to_owned(),
        };
        let (path, mut query_in_path) = split_target(&path, base_url, profile.link_host);
        if query_in_path.is_empty() {
            query_in_path = query.trim().trim_start_matches('?').to_string();
        }
        Self {
            path,
            query: query_in_path,
        }
    }

    /// A link found in a reply (or anything pasted), as a target on the device.
    pub fn link(profile: &Profile, base_url: &str, link: &str) -> Self {
        let (path, query) = split_target(link, base_url, profile.link_host);
        Self { path, query }
    }

    /// Path and query as one request target.
    pub fn joined(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// `/mgmt/tm/sys/version` as clickable steps: (`mgmt`, `/mgmt`), (`tm`, `/mgmt/tm`), ….
pub fn breadcrumbs(path: &str) -> Vec<(String, String)> {
    let mut prefix = String::new();
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            prefix.push('/');
            prefix.push_str(segment);
            (segment.to_string(), prefix.clone())
        })
        .collect()
}

/// The reason phrase of a status the devices use, for the status line ("" for others).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// `200 OK`, `299`, or "no reply".
pub fn status_line(status: Option<u16>) -> String {
    status.map_or_else(
        || "no reply".to_string(),
        |s| format!("{s} {}", reason_phrase(s)).trim_end().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::profile;
    use crate::kind::DeviceKind;

    #[test]
    fn query_chips_add_or_replace_one_parameter() {
        assert_eq!(with_param("", "ver", "17.1.3"), "ver=17.1.3");
        assert_eq!(
            with_param("$select=name&ver=11.6.0", "ver", "17.1.3"),
            "$select=name&ver=17.1.3"
        );
    }

    #[test]
    fn bodies_are_checked_before_sending() {
        assert_eq!(checked_body("  "), Ok(None));
        assert_eq!(checked_body("{\"a\":1}"), Ok(Some("{\"a\":1}".into())));
        let err = checked_body("{\"a\":").unwrap_err();
        assert!(
            err.contains("not valid JSON") && err.contains("nothing was sent"),
            "{err}"
        );
        assert!(sends_body("PATCH") && !sends_body("GET") && !sends_body("DELETE"));
        assert_eq!(method("patch"), "PATCH");
        assert_eq!(method("TRACE"), "GET");
    }

    #[test]
    fn typed_targets_fill_the_scope_and_map_links_back() {
        let base = "https://10.0.0.9";
        for kind in DeviceKind::ALL {
            let p = profile(kind);
            // A plain path with the query in its own field.
            let t = Target::typed(p, base, Some("s1"), "x/y", "?a=1");
            assert_eq!((t.path.as_str(), t.query.as_str()), ("/x/y", "a=1"));
            // A query in the path wins over the query field.
            let t = Target::typed(p, base, None, "/x?b=2", "a=1");
            assert_eq!(t.joined(), "/x?b=2");
            // A pasted link to the device's own address.
            let t = Target::link(p, base, "https://10.0.0.9/z?c=3");
            assert_eq!(t.joined(), "/z?c=3");
            // The kind's scope placeholder is filled with the chosen scope.
            if let Some(rule) = p.scope {
                let template = format!("{}{}/things", rule.prefix, rule.placeholder);
                let t = Target::typed(p, base, Some("s1"), &template, "");
                assert_eq!(t.path, format!("{}s1/things", rule.prefix), "{kind}");
            }
            if let Some(host) = p.link_host {
                let t = Target::link(p, base, &format!("{host}/mgmt/tm?ver=1"));
                assert_eq!(t.joined(), "/mgmt/tm?ver=1", "{kind}");
            }
        }
    }

    #[test]
    fn breadcrumbs_and_status_lines() {
        assert_eq!(
            breadcrumbs("/mgmt/tm/sys"),
            [
                ("mgmt".to_string(), "/mgmt".to_string()),
                ("tm".into(), "/mgmt/tm".into()),
                ("sys".into(), "/mgmt/tm/sys".into())
            ]
        );
        assert!(breadcrumbs("/").is_empty());
        assert_eq!(status_line(Some(404)), "404 Not Found");
        assert_eq!(status_line(Some(299)), "299");
        assert_eq!(status_line(None), "no reply");
    }
}
