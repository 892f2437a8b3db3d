//! FMC domains: the list a login announces (`DOMAINS`, with `DOMAIN_UUID` the user's own), as
//! the scopes config calls live in (`super::DOMAIN`).

use serde::Deserialize;

use crate::devices::call::Reply;
use crate::devices::scope::Scope;

#[derive(Deserialize)]
struct Announced {
    name: String,
    uuid: String,
}

/// The domains a login's headers announce, the user's own (`DOMAIN_UUID`) first. Without a
/// readable `DOMAINS` header, the user's own domain alone.
pub fn from_headers(reply: &Reply) -> Vec<Scope> {
    let own = reply.header("domain_uuid").map(str::trim).unwrap_or("");
    let global = reply.header("global").map(str::trim).unwrap_or("");
    let mut domains: Vec<Scope> = reply
        .header("domains")
        .and_then(|json| serde_json::from_str::<Vec<Announced>>(json).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| !d.uuid.is_empty())
        .map(|d| Scope {
            name: d.name,
            id: d.uuid,
        })
        .collect();
    if !own.is_empty() && !domains.iter().any(|d| d.id == own) {
        let name = if own == global {
            "Global"
        } else {
            "Your domain"
        };
        domains.push(Scope {
            name: name.into(),
            id: own.into(),
        });
    }
    if let Some(at) = domains.iter().position(|d| d.id == own) {
        let mine = domains.remove(at);
        domains.insert(0, mine);
    }
    domains
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::fmc::DOMAIN;
    use crate::devices::scope::{fill, name_in_path, scoped_path};

    fn reply(headers: &[(&str, &str)]) -> Reply {
        Reply {
            status: 204,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: String::new(),
        }
    }

    #[test]
    fn the_users_own_domain_comes_first() {
        let domains = from_headers(&reply(&[
            ("domain_uuid", "b"),
            (
                "domains",
                r#"[{"name":"Global","uuid":"a"},{"name":"Global/Sub","uuid":"b"}]"#,
            ),
        ]));
        let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Global/Sub", "Global"]);
    }

    #[test]
    fn without_domains_the_own_domain_alone() {
        let domains = from_headers(&reply(&[
            ("domain_uuid", "a"),
            ("global", "a"),
            ("domains", "not json"),
        ]));
        assert_eq!(
            domains,
            vec![Scope {
                name: "Global".into(),
                id: "a".into()
            }]
        );
        assert!(from_headers(&reply(&[])).is_empty());
    }

    #[test]
    fn config_paths_live_under_a_domain() {
        let domains = vec![Scope {
            name: "Global".into(),
            id: "e276".into(),
        }];
        let path = fill(
            &DOMAIN,
            "/api/fmc_config/v1/domain/{domain}/object/hosts",
            "e276",
        );
        assert_eq!(path, scoped_path(&DOMAIN, "e276", "object/hosts"));
        assert_eq!(name_in_path(&DOMAIN, &path, &domains), Some("Global"));
        assert_eq!(
            name_in_path(&DOMAIN, "/api/fmc_platform/v1/info/domain", &domains),
            None
        );
    }
}
