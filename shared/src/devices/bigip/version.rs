//! The software version: `GET /mgmt/tm/sys/version` (`nestedStats`), as facts for a table.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Software version endpoint.
pub const VERSION_PATH: &str = "/mgmt/tm/sys/version";

/// The main-package rows of `GET /mgmt/tm/sys/version`, plus any hotfixes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VersionInfo {
    pub product: String,
    pub version: String,
    pub build: String,
    pub edition: String,
    pub date: String,
    pub title: String,
    /// Entries after the first (installed hotfixes), by their description.
    pub hotfixes: Vec<String>,
}

impl VersionInfo {
    /// Label and value rows, as the Version page shows them.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        let mut facts = vec![
            ("Product", self.product.clone()),
            ("Version", self.version.clone()),
            ("Build", self.build.clone()),
            ("Edition", self.edition.clone()),
            ("Date", self.date.clone()),
            ("Title", self.title.clone()),
        ];
        if !self.hotfixes.is_empty() {
            facts.push(("Hotfixes", self.hotfixes.join(", ")));
        }
        facts
    }
}

/// Why a version body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionParseError {
    #[error("the reply is not JSON: {0}")]
    NotJson(String),
    #[error("the reply has no `entries` object; is this really /mgmt/tm/sys/version?")]
    NoEntries,
}

/// Read the `nestedStats` shape of `GET /mgmt/tm/sys/version`.
///
/// Entries are keyed by `https://localhost/mgmt/tm/sys/version/<n>`; entry 0 is the main
/// package, later ones are hotfixes whose rows each carry a `description`.
pub fn parse_version(body: &str) -> Result<VersionInfo, VersionParseError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| VersionParseError::NotJson(e.to_string()))?;
    let entries = value
        .get("entries")
        .and_then(Value::as_object)
        .ok_or(VersionParseError::NoEntries)?;
    let mut indexed: Vec<(u64, &Value)> = entries
        .iter()
        .map(|(key, entry)| {
            let index = key
                .rsplit('/')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(u64::MAX);
            (index, entry)
        })
        .collect();
    // The main package and its few hotfixes: a stable insertion sort, so the console does not
    // carry the general sort's code (3 KB of wasm) for this one list.
    for i in 1..indexed.len() {
        let mut j = i;
        while j > 0 && indexed[j - 1].0 > indexed[j].0 {
            indexed.swap(j - 1, j);
            j -= 1;
        }
    }

    let rows = |entry: &Value| -> Vec<(String, String)> {
        entry
            .pointer("/nestedStats/entries")
            .and_then(Value::as_object)
            .map(|rows| {
                rows.iter()
                    .map(|(name, row)| {
                        let description = row
                            .get("description")
                            .map(|d| d.as_str().map(str::to_owned).unwrap_or(d.to_string()))
                            .unwrap_or_default();
                        (name.clone(), description)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };

    let mut info = VersionInfo::default();
    let mut iter = indexed.into_iter();
    if let Some((_, main)) = iter.next() {
        for (name, description) in rows(main) {
            match name.as_str() {
                "Product" => info.product = description,
                "Version" => info.version = description,
                "Build" => info.build = description,
                "Edition" => info.edition = description,
                "Date" => info.date = description,
                "Title" => info.title = description,
                _ => {}
            }
        }
    }
    for (_, hotfix) in iter {
        info.hotfixes
            .extend(rows(hotfix).into_iter().map(|(_, description)| description));
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_version_and_hotfixes_in_index_order() {
        let body = r#"{
          "kind": "tm:sys:version:versionstats",
          "selfLink": "https://localhost/mgmt/tm/sys/version?ver=17.1.3",
          "entries": {
            "https://localhost/mgmt/tm/sys/version/1": {"nestedStats": {"entries": {
              "ID1009161_3": {"description": "ID1009161-3"}}}},
            "https://localhost/mgmt/tm/sys/version/0": {"nestedStats": {"entries": {
              "Build": {"description": "0.20.11"},
              "Date": {"description": "Sun Oct 12 12:43:02 PDT 2025"},
              "Edition": {"description": "Engineering Hotfix"},
              "Product": {"description": "BIG-IP"},
              "Title": {"description": "Main Package"},
              "Version": {"description": "17.1.3"}}}}
          }
        }"#;
        let info = parse_version(body).unwrap();
        assert_eq!(info.product, "BIG-IP");
        assert_eq!(info.version, "17.1.3");
        assert_eq!(info.build, "0.20.11");
        assert_eq!(info.edition, "Engineering Hotfix");
        assert_eq!(info.title, "Main Package");
        assert_eq!(info.hotfixes, vec!["ID1009161-3".to_string()]);
    }

    #[test]
    fn hotfixes_come_in_numeric_index_order_past_nine() {
        // The keys sort as text ("/10" before "/2"); the entries must come by number.
        let entry = |n: u32| {
            let rows = if n == 0 {
                r#"{"Product": {"description": "BIG-IP"}}"#.to_owned()
            } else {
                format!(r#"{{"ID{n}": {{"description": "hotfix {n}"}}}}"#)
            };
            format!(
                r#""https://localhost/mgmt/tm/sys/version/{n}": {{"nestedStats": {{"entries": {rows}}}}}"#
            )
        };
        let entries: Vec<String> = [7, 10, 0, 2, 11, 1, 9, 3, 8, 4, 6, 5]
            .into_iter()
            .map(entry)
            .collect();
        let body = format!(r#"{{"entries": {{{}}}}}"#, entries.join(","));
        let info = parse_version(&body).unwrap();
        assert_eq!(info.product, "BIG-IP");
        let want: Vec<String> = (1..=11).map(|n| format!("hotfix {n}")).collect();
        assert_eq!(info.hotfixes, want);
    }

    #[test]
    fn version_errors_say_what_is_wrong() {
        assert!(matches!(
            parse_version("nope"),
            Err(VersionParseError::NotJson(_))
        ));
        assert_eq!(parse_version("{}"), Err(VersionParseError::NoEntries));
    }
}
