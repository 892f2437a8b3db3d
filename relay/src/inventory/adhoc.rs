//! Ad-hoc devices: a URL the user types in the app, allowed only inside the hosts and networks
//! the operator lists under `[ad_hoc] allowed` (off when the list is empty).
//!
//! The relay keeps no record of them: an ad-hoc device's id spells its kind, host and port
//! (`adhoc~bigip~10.1.1.5~443`), so any replica can serve it and every call is re-checked
//! against the allowlist. Names are matched as written; networks match IP literals only (a
//! name is never resolved to decide whether it may be dialled).
//!
//! Whatever the allowlist says, loopback, link-local, unspecified, broadcast, multicast and cloud
//! metadata addresses are never dialled ad hoc (a name that resolves to one is refused when
//! dialled, see `resolve.rs`), and an allowlist that covers a large part of the address space
//! is refused at start-up.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};
use reqwest::Url;
use shared::wire::DeviceKind;

use super::device::device_base_url;
use super::resolve::{DeviceResolver, is_reserved};

const PREFIX: &str = "adhoc~";

/// The largest share of the IPv4 space an allowlist may cover: four /8 networks.
const MAX_IPV4_ADDRESSES: u64 = 4 << 24;
/// The shortest IPv6 prefix an allowlist may name.
const MIN_IPV6_PREFIX: u8 = 32;

/// Refuse an allowlist that covers too much of the address space to be a lab's.
fn check_coverage(rules: &[Rule]) -> Result<(), String> {
    let v4: Vec<Ipv4Net> = rules
        .iter()
        .filter_map(|r| match r {
            Rule::Network(IpNet::V4(net)) => Some(*net),
            _ => None,
        })
        .collect();
    let covered: u64 = Ipv4Net::aggregate(&v4)
        .iter()
        .map(|net| 1u64 << (32 - net.prefix_len()))
        .sum();
    if covered > MAX_IPV4_ADDRESSES {
        return Err(format!(
            "the networks cover {covered} IPv4 addresses, more than the {MAX_IPV4_ADDRESSES} \
             (four /8 networks) an ad-hoc allowlist may cover; list the lab networks only"
        ));
    }
    let wide_v6 = rules.iter().find_map(|r| match r {
        Rule::Network(IpNet::V6(net)) if net.prefix_len() < MIN_IPV6_PREFIX => Some(*net),
        _ => None,
    });
    if let Some(net) = wide_v6 {
        return Err(format!(
            "{net} is wider than a /{MIN_IPV6_PREFIX}; list the lab networks only"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Network(IpNet),
    Name(String),
    /// `*.lab.example.com` → `.lab.example.com`: any name below it.
    Below(String),
}

/// Why a typed URL is not admitted as an ad-hoc device (the reason, worded for the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AdHocRefused(pub String);

/// Where ad-hoc devices may be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdHocPolicy {
    rules: Vec<Rule>,
    /// Tests only: simulated devices listen on loopback.
    loopback_for_tests: bool,
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
        check_coverage(&rules)?;
        Ok(Self {
            rules,
            loopback_for_tests: false,
        })
    }

    /// The same policy, admitting loopback addresses it lists. For integration tests only,
    /// whose simulated devices listen on `127.0.0.1`; no configuration reaches this.
    #[doc(hidden)]
    pub fn admitting_loopback_for_tests(mut self) -> Self {
        self.loopback_for_tests = true;
        self
    }

    /// Whether `ip` is refused whatever the rules say.
    fn reserved(&self, ip: IpAddr) -> bool {
        is_reserved(ip) && !(self.loopback_for_tests && ip.is_loopback())
    }

    /// The resolver an ad-hoc device's pool uses.
    pub fn resolver(&self) -> DeviceResolver {
        if self.loopback_for_tests {
            DeviceResolver::any()
        } else {
            DeviceResolver::unreserved()
        }
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
    pub fn admit(&self, kind: DeviceKind, raw_url: &str) -> Result<(String, Url), AdHocRefused> {
        self.check(kind, raw_url).map_err(AdHocRefused)
    }

    fn check(&self, kind: DeviceKind, raw_url: &str) -> Result<(String, Url), String> {
        if !self.enabled() {
            return Err(
                "ad-hoc devices are switched off on this relay ([ad_hoc] allowed is empty)".into(),
            );
        }
        let url = device_base_url(raw_url)?;
        let host = url.host().ok_or("the URL has no host")?;
        if matches!(host, url::Host::Ipv6(_)) {
            return Err("ad-hoc devices by IPv6 address are not supported; use a name".into());
        }
        if let url::Host::Ipv4(ip) = host
            && self.reserved(IpAddr::V4(ip))
        {
            return Err(format!(
                "{ip} is a loopback, link-local, multicast or cloud metadata address, which the \
                 relay never dials as an ad-hoc device"
            ));
        }
        if !self.allows(&host) {
            return Err(format!(
                "{} is outside the hosts and networks this relay may dial",
                url.host_str().unwrap_or_default()
            ));
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let id = format!(
            "{PREFIX}{}~{}~{port}",
            kind.name(),
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
        let kind = DeviceKind::from_name(kind)?;
        let port: u16 = port.parse().ok()?;
        let (again, url) = self.check(kind, &format!("https://{host}:{port}")).ok()?;
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
        assert!(AdHocPolicy::parse(&["0.0.0.0/1".into(), "128.0.0.0/1".into()]).is_err());
        assert!(AdHocPolicy::parse(&["8.0.0.0/5".into()]).is_err());
        assert!(AdHocPolicy::parse(&["2001:db8::/16".into()]).is_err());
        // The private ranges together are a lab's, not the Internet.
        let private = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "2001:db8::/48",
        ];
        assert!(AdHocPolicy::parse(&private.map(String::from)).is_ok());
    }

    #[test]
    fn reserved_addresses_are_refused_whatever_the_allowlist_says() {
        let p = AdHocPolicy::parse(&[
            "127.0.0.0/8".into(),
            "169.254.0.0/16".into(),
            "0.0.0.0/8".into(),
            "100.100.100.200".into(),
        ])
        .unwrap();
        for bad in [
            "https://127.0.0.1",
            "https://127.1.2.3:8443",
            "https://169.254.169.254",
            "https://0.0.0.0",
            "https://100.100.100.200",
        ] {
            let err = p.admit(DeviceKind::Bigip, bad).unwrap_err();
            assert!(err.0.contains("never dials"), "{bad}: {err}");
        }
        for ip in [
            "::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fd00:ec2::254",
            "224.0.0.1",
        ] {
            assert!(is_reserved(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.1.1.1", "192.0.2.7", "2001:db8::1"] {
            assert!(!is_reserved(ip.parse().unwrap()), "{ip}");
        }
        let tests = p.clone().admitting_loopback_for_tests();
        assert!(tests.admit(DeviceKind::Bigip, "https://127.0.0.1").is_ok());
        assert!(
            tests
                .admit(DeviceKind::Bigip, "https://169.254.169.254")
                .is_err()
        );
    }
}
