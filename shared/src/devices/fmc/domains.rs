//! FMC domains: the list a login announces (`DOMAINS`, with `DOMAIN_UUID` the user's own), and
//! config paths under `/api/fmc_config/v1/domain/{uuid}/…`.

use serde::Deserialize;

use crate::devices::Domain;
use crate::devices::call::Reply;

/// Stands for the chosen domain's UUID in path templates.
pub const DOMAIN_PLACEHOLDER: &str = "{domain}";
const CONFIG_PREFIX: &str = "/api/fmc_config/v1/domain/";

#[derive(Deserialize)]
struct Announced {
    name: String,
    uuid: String,
}

/// The domains a login's headers announce, the user's own (`DOMAIN_UUID`) first. Without a
/// readable `DOMAINS` header, the user's own domain alone.
pub fn from_headers(reply: &Reply) -> Vec<Domain> {
    let own = reply.header("domain_uuid").map(str::trim).unwrap_or("");
    let global = reply.header("global").map(str::trim).unwrap_or("");
    let mut domains: Vec<Domain> = reply
        .header("domains")
        .and_then(|json| serde_json::from_str::<Vec<Announced>>(json).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| !d.uuid.is_empty())
        .map(|d| Domain {
            name: d.name,
            uuid: d.uuid,
        })
        .collect();
    if !own.is_empty() && !domains.iter().any(|d| d.uuid == own) {
        let name = if own == global {
            "Global"
        } else {
            "Your domain"
        };
        domains.push(Domain {
            name: name.into(),
            uuid: own.into(),
        });
    }
    if let Some(at) = domains.iter().position(|d| d.uuid == own) {
        let mine = domains.remove(at);
        domains.insert(0, mine);
    }
    domains
}

/// A path template with `{domain}` replaced by `uuid`.
pub fn fill(template: &str, uuid: &str) -> String {
    template.replace(DOMAIN_PLACEHOLDER, uuid)
}

/// `/api/fmc_config/v1/domain/<uuid>/<rest>`.
pub fn config_path(uuid: &str, rest: &str) -> String {
    format!("{CONFIG_PREFIX}{uuid}/{}", rest.trim_start_matches('/'))
}

/// The name of the domain a config path is under, if it is one of `domains`.
pub fn name_in_path<'a>(path: &str, domains: &'a [Domain]) -> Option<&'a str> {
    let uuid = path.strip_prefix(CONFIG_PREFIX)?.split('/').next()?;
    domains
        .iter()
        .find(|d| d.uuid.eq_ignore_ascii_case(uuid))
        .map(|d| d.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            vec![Domain {
                name: "Global".into(),
                uuid: "a".into()
            }]
        );
        assert!(from_headers(&reply(&[])).is_empty());
    }

    #[test]
    fn paths_under_a_domain() {
        let domains = vec![Domain {
            name: "Global".into(),
            uuid: "e276".into(),
        }];
        let path = fill("/api/fmc_config/v1/domain/{domain}/object/hosts", "e276");
        assert_eq!(path, config_path("e276", "object/hosts"));
        assert_eq!(name_in_path(&path, &domains), Some("Global"));
        assert_eq!(
            name_in_path("/api/fmc_platform/v1/info/domain", &domains),
            None
        );
    }
}
