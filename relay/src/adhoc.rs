//! Ad-hoc devices: a URL the user types in the app, allowed only inside the hosts and networks
//! the operator lists under `[ad_hoc] allowed` (off when the list is empty).
//!
//! The relay keeps no record of them: an ad-hoc device's id spells its kind, host and port
//! (`adhoc~bigip~10.1.1.5~443`), so any replica can serve it and every call is re-checked
//! against the allowlist. Names are matched as written; networks match IP literals only (a
//! name is never resolved to decide whether it may be dialled).

use std::net::IpAddr;

use ipnet::IpNet;
use reqwest::Url;
use shared::wire::DeviceKind;

const PREFIX: &str = "adhoc~";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Network(IpNet),
    Name(String),
    /// `*.lab.example.com` → `.lab.example.com`: any name below it.
    Below(String),
}

/// Where ad-hoc devices may be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdHocPolicy {
    rules: Vec<Rule>,
}

impl AdHocPolicy {
    /// Parse `10.0.0.0/8`, `192.0.2.7`, `bigip1.lab.example.com`, `*.lab.example.com`.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut rules = Vec::new();
        for entry in entries {
            let e = entry.trim().to_ascii_lowercase();
            let rule = if let Ok(net) = e.parse::<IpNet>() {
                Rule::Network(net)
            } else if let Ok(ip) = e.parse::<IpAddr>() {
                Rule::Network(IpNet::from(ip))
            } else if let Some(suffix) = e.strip_prefix("*.") {
                if !plain_name(suffix) || !suffix.contains('.') {
                    return Err(format!(
                        "{entry:?}: a wildcard needs a domain, e.g. *.lab.example.com"
                    ));
                }
                Rule::Below(format!(".{suffix}"))
            } else if plain_name(&e) {
                Rule::Name(e)
            } else {
                return Err(format!(
                    "{entry:?} is not a network (10.0.0.0/8), an address or a host name"
                ));
            };
            if matches!(rule, Rule::Network(net) if net.prefix_len() == 0) {
                return Err(format!("{entry:?} would allow every address"));
            }
            rules.push(rule);
        }
        Ok(Self { rules })
    }

    pub fn enabled(&self) -> bool {
        !self.rules.is_empty()
    }

    /// May the relay dial this host?
    pub fn allows(&self, host: &url::Host<&str>) -> bool {
        match host {
            url::Host::Ipv4(ip) => self.allows_ip(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.allows_ip(IpAddr::V6(*ip)),
            url::Host::Domain(name) => {
                let name = name.to_ascii_lowercase();
                self.rules.iter().any(|rule| match rule {
                    Rule::Name(n) => *n == name,
                    Rule::Below(suffix) => name.ends_with(suffix.as_str()),
                    Rule::Network(_) => false,
                })
            }
        }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        self.rules
            .iter()
            .any(|rule| matches!(rule, Rule::Network(net) if net.contains(&ip)))
    }

    /// Check a typed URL and give the ad-hoc device id for it.
    pub fn admit(&self, kind: DeviceKind, raw_url: &str) -> Result<(String, Url), String> {
        if !self.enabled() {
            return Err(
                "ad-hoc devices are switched off on this relay ([ad_hoc] allowed is empty)".into(),
            );
        }
        let url = crate::config::device_base_url(raw_url)?;
        let host = url.host().ok_or("the URL has no host")?;
        if matches!(host, url::Host::Ipv6(_)) {
            return Err("ad-hoc devices by IPv6 address are not supported; use a name".into());
        }
        if !self.allows(&host) {
            return Err(format!(
                "{} is outside the hosts and networks this relay may dial",
                url.host_str().unwrap_or_default()
            ));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let kind = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let id = format!(
            "{PREFIX}{kind}~{}~{port}",
            url.host_str().unwrap_or_default()
        );
        Ok((id, url))
    }

    /// The kind and base URL an ad-hoc id stands for, if it is one and still allowed.
    pub fn resolve(&self, id: &str) -> Option<(DeviceKind, Url)> {
        let rest = id.strip_prefix(PREFIX)?;
        let mut parts = rest.split('~');
        let (kind, host, port) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let kind: DeviceKind = serde_json::from_value(serde_json::Value::from(kind)).ok()?;
        let port: u16 = port.parse().ok()?;
        let (again, url) = self.admit(kind, &format!("https://{host}:{port}")).ok()?;
        (again == id).then_some((kind, url))
    }
}

pub fn is_adhoc_id(id: &str) -> bool {
    id.starts_with(PREFIX)
}

fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AdHocPolicy {
        AdHocPolicy::parse(&[
            "10.1.0.0/16".into(),
            "*.lab.example.com".into(),
            "fmc.example.org".into(),
        ])
        .unwrap()
    }

    #[test]
    fn off_by_default() {
        let off = AdHocPolicy::default();
        assert!(off.admit(DeviceKind::Bigip, "https://10.1.1.1").is_err());
        assert!(off.resolve("adhoc~bigip~10.1.1.1~443").is_none());
    }

    #[test]
    fn admits_only_listed_hosts_and_round_trips_ids() {
        let p = policy();
        let (id, url) = p.admit(DeviceKind::Bigip, "https://10.1.2.3").unwrap();
        assert_eq!(id, "adhoc~bigip~10.1.2.3~443");
        assert_eq!(p.resolve(&id), Some((DeviceKind::Bigip, url)));
        let (id, _) = p
            .admit(DeviceKind::Fmc, "https://a.lab.example.com:8443")
            .unwrap();
        assert_eq!(id, "adhoc~fmc~a.lab.example.com~8443");
        assert!(p.resolve(&id).is_some());
        for bad in [
            "https://10.2.0.1",
            "https://lab.example.com",
            "https://a.lab.example.com.evil.example",
            "https://169.254.169.254",
            "http://10.1.2.3",
            "https://x@10.1.2.3",
            "https://10.1.2.3/path",
            "https://[::1]",
        ] {
            assert!(p.admit(DeviceKind::Bigip, bad).is_err(), "{bad}");
        }
        assert!(p.resolve("adhoc~bigip~10.2.0.1~443").is_none());
        assert!(p.resolve("adhoc~bigip~10.1.2.3~443~x").is_none());
        assert!(p.resolve("adhoc~toaster~10.1.2.3~443").is_none());
    }

    #[test]
    fn refuses_allow_everything() {
        assert!(AdHocPolicy::parse(&["0.0.0.0/0".into()]).is_err());
        assert!(AdHocPolicy::parse(&["*.com".into()]).is_err());
    }
}
