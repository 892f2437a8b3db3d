//! Who the client is, behind an ingress: the operator's `trusted_proxies` (addresses and
//! networks), and optionally the header an authenticating proxy names the user in
//! (`proxy_user_header`). Pure decisions; `guard.rs` applies them to each request.
//!
//! - The client's address is the connection's, unless that is a trusted proxy: then it is the
//!   rightmost `X-Forwarded-For` hop that is not a trusted proxy (hops further left were
//!   written by whoever sent the request, and can be forged).
//! - Clients are counted (for the wrong-access-key lockout) by IPv4 address and by IPv6 /64,
//!   since one IPv6 host commonly holds a whole /64.
//! - The user header is read only from a trusted proxy, and only for the logs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use axum::http::{HeaderMap, HeaderName};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use shared::devices::headers::is_secret_header;

const FORWARDED_FOR: &str = "x-forwarded-for";
/// Longest user name recorded; longer ones are cut.
const MAX_USER_LEN: usize = 128;

/// The operator's proxies and the header they name users in.
#[derive(Clone, Debug, Default)]
pub struct ProxyPolicy {
    trusted: Vec<IpNet>,
    user_header: Option<HeaderName>,
}

impl ProxyPolicy {
    /// Whether a proxy names users: then the operator wants an audit trail, and each forwarded
    /// call is logged at `info` with its client and user (otherwise at `debug`).
    pub fn names_users(&self) -> bool {
        self.user_header.is_some()
    }

    /// Validate the operator's settings; errors name the offending key.
    pub fn new(
        trusted: &[String],
        user_header: Option<&str>,
    ) -> Result<Self, (&'static str, String)> {
        let mut written = Vec::new();
        for entry in trusted {
            let entry = entry.trim();
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    (
                        "trusted_proxies",
                        format!("{entry:?} is not an address or a network like 10.0.0.0/8"),
                    )
                })?;
            written.push((entry, normalise(entry, net)?));
        }
        if let Some(message) = catch_all(&written) {
            return Err(("trusted_proxies", message));
        }
        let networks: Vec<IpNet> = written.iter().map(|(_, net)| *net).collect();
        let user_header = match user_header.map(str::trim).filter(|h| !h.is_empty()) {
            None => None,
            Some(_) if networks.is_empty() => {
                return Err((
                    "proxy_user_header",
                    "is read only from trusted proxies: set trusted_proxies too".into(),
                ));
            }
            Some(name) => {
                let secret =
                    is_secret_header(name) || name.eq_ignore_ascii_case("proxy-authorization");
                if secret {
                    return Err((
                        "proxy_user_header",
                        format!(
                            "{name} carries secrets, and the user's name is logged: name the header your proxy puts the user name in (e.g. X-Forwarded-User)"
                        ),
                    ));
                }
                Some(
                    HeaderName::try_from(name.to_ascii_lowercase()).map_err(|_| {
                        (
                            "proxy_user_header",
                            format!("{name:?} is not a header name"),
                        )
                    })?,
                )
            }
        };
        Ok(Self {
            trusted: networks,
            user_header,
        })
    }

    /// Trusted networks wide enough (more than a /16, or an IPv6 /32) to hold many machines
    /// outside private address space: allowed, but worth a warning (`relay --check`).
    pub fn wide_public_ranges(&self) -> Vec<IpNet> {
        const PRIVATE: [&str; 9] = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "fc00::/7",
            "fe80::/10",
            "::1/128",
        ];
        let private: Vec<IpNet> = PRIVATE.iter().filter_map(|n| n.parse().ok()).collect();
        self.trusted
            .iter()
            .filter(|net| match net {
                IpNet::V4(v4) => v4.prefix_len() < 16,
                IpNet::V6(v6) => v6.prefix_len() < 32,
            })
            .filter(|net| !private.iter().any(|p| p.contains(*net)))
            .copied()
            .collect()
    }

    /// Whether `ip` (a connection's peer, or a hop) is one of the operator's proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// Who sent a request that reached the relay from `peer` with `headers`.
    pub fn identify(&self, peer: IpAddr, headers: &HeaderMap) -> Client {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return Client {
                addr: peer,
                proxy: None,
                user: None,
            };
        }
        // Hops in order, all X-Forwarded-For headers joined; walk from the right.
        let hops: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut addr = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Garbage where an address should be: stop at the last proxy that spoke.
                break;
            };
            addr = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        let user = self
            .user_header
            .as_ref()
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_USER_LEN)
                    .collect::<String>()
            })
            .filter(|v| !v.is_empty());
        Client {
            addr,
            proxy: Some(peer),
            user,
        }
    }
}

/// `net` (the trusted entry `entry`) as peers are compared with it: an IPv6 network inside
/// `::ffff:0:0/96` becomes the IPv4 network it maps (peers are canonicalised the same way, so
/// `::ffff:10.0.0.0/104` trusts `10.1.2.3`). Refused: a network of every address, and an IPv6
/// network that holds the whole mapped range (every IPv4 client, on a dual-stack listener).
fn normalise(entry: &str, net: IpNet) -> Result<IpNet, (&'static str, String)> {
    let refuse = |what: &str| {
        Err((
            "trusted_proxies",
            format!(
                "{entry} trusts {what}, so any client could write its own address: list only \
                 the ingress's addresses or network"
            ),
        ))
    };
    let net = net.trunc();
    if net.prefix_len() == 0 {
        return refuse("every address");
    }
    let IpNet::V6(v6) = net else {
        return Ok(net);
    };
    if MAPPED.contains(&v6) {
        let v4 = v6.network().to_ipv4_mapped().expect("inside ::ffff:0:0/96");
        let v4 = Ipv4Net::new(v4, v6.prefix_len() - 96).expect("a prefix of at most 32");
        return Ok(IpNet::V4(v4));
    }
    if v6.contains(&MAPPED) {
        return refuse("every IPv4-mapped address (::ffff:0:0/96), that is every IPv4 client");
    }
    Ok(net)
}

/// IPv4-mapped IPv6 addresses: how a dual-stack listener sees IPv4 clients.
const MAPPED: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);

/// Whether `nets` (entries as written, and as normalised) together trust a whole address
/// family, each safe alone (`0.0.0.0/1` and `128.0.0.0/1`): every IPv4 address, every IPv6
/// address outside the mapped range, or every global-unicast IPv6 address (`2000::/3`, the
/// whole internet). Then a message naming the entries.
fn catch_all(nets: &[(&str, IpNet)]) -> Option<String> {
    /// Whether `nets` cover all of `block` (aggregating with it adds nothing).
    fn covers<N: Copy + Eq>(nets: &[N], block: N, aggregate: fn(&Vec<N>) -> Vec<N>) -> bool {
        let mut with = nets.to_vec();
        with.push(block);
        !nets.is_empty() && aggregate(&nets.to_vec()) == aggregate(&with)
    }
    let names = |v4: bool| {
        let named: Vec<&str> = nets
            .iter()
            .filter(|(_, net)| matches!(net, IpNet::V4(_)) == v4)
            .map(|(entry, _)| *entry)
            .collect();
        named.join(", ")
    };
    let v4: Vec<Ipv4Net> = nets
        .iter()
        .filter_map(|(_, net)| match net {
            IpNet::V4(net) => Some(*net),
            IpNet::V6(_) => None,
        })
        .collect();
    let v6: Vec<Ipv6Net> = nets
        .iter()
        .filter_map(|(_, net)| match net {
            IpNet::V6(net) => Some(*net),
            IpNet::V4(_) => None,
        })
        .collect();
    let every_v4 = Ipv4Net::new_assert(Ipv4Addr::UNSPECIFIED, 0);
    let every_v6 = Ipv6Net::new_assert(Ipv6Addr::UNSPECIFIED, 0);
    let global = Ipv6Net::new_assert(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);
    let mut v6_and_mapped = v6.clone();
    v6_and_mapped.push(MAPPED);
    let what = if covers(&v4, every_v4, Ipv4Net::aggregate) {
        (true, "every IPv4 address")
    } else if covers(&v6_and_mapped, every_v6, Ipv6Net::aggregate) && !v6.is_empty() {
        (false, "every IPv6 address")
    } else if covers(&v6, global, Ipv6Net::aggregate) {
        (false, "every public IPv6 address (2000::/3)")
    } else {
        return None;
    };
    Some(format!(
        "{} together trust {}, so any client could write its own address: list only the \
         ingress's addresses or network",
        names(what.0),
        what.1
    ))
}

/// An `X-Forwarded-For` hop: an address, possibly with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    hop.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
}

/// The client of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client's address (behind trusted proxies, the one they saw).
    pub addr: IpAddr,
    /// The trusted proxy the request came through, if it did.
    pub proxy: Option<IpAddr>,
    /// The user an authenticating proxy named (`proxy_user_header`).
    pub user: Option<String>,
}

impl Client {
    /// What the wrong-access-key lockout counts by: the IPv4 address, or the IPv6 /64.
    pub fn lockout_key(&self) -> String {
        match self.addr {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let net = ipnet::Ipv6Net::new(v6, 64).map(|n| n.trunc());
                net.map(|n| n.to_string())
                    .unwrap_or_else(|_| v6.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::try_from(*name).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn ingress() -> ProxyPolicy {
        ProxyPolicy::new(
            &["10.0.0.0/24".into(), "192.0.2.7".into()],
            Some("X-Forwarded-User"),
        )
        .unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_connection_is_the_client() {
        let none = ProxyPolicy::default();
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            none.identify(ip("198.51.100.1"), &forged).addr,
            ip("198.51.100.1")
        );
        // From an untrusted peer the header is ignored too.
        let client = ingress().identify(ip("198.51.100.1"), &forged);
        assert_eq!(client.addr, ip("198.51.100.1"));
        assert_eq!(client.proxy, None);
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let p = ingress();
        // The client wrote a forged first hop; the ingress appended what it saw.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]);
        let client = p.identify(ip("10.0.0.5"), &h);
        assert_eq!(client.addr, ip("203.0.113.9"));
        assert_eq!(client.proxy, Some(ip("10.0.0.5")));
        // Two trusted proxies in a row, across two headers.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1, 203.0.113.9"),
            ("x-forwarded-for", "192.0.2.7"),
        ]);
        assert_eq!(p.identify(ip("10.0.0.5"), &h).addr, ip("203.0.113.9"));
        // Ports and brackets, and IPv4-mapped IPv6.
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443")]);
        assert_eq!(
            p.identify(ip("::ffff:10.0.0.5"), &h).addr,
            ip("2001:db8::1")
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.9:5555")]);
        assert_eq!(p.identify(ip("10.0.0.5"), &h).addr, ip("203.0.113.9"));
        // No header: the proxy itself. Garbage: the last proxy that spoke.
        assert_eq!(
            p.identify(ip("10.0.0.5"), &HeaderMap::new()).addr,
            ip("10.0.0.5")
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 192.0.2.7")]);
        assert_eq!(p.identify(ip("10.0.0.5"), &h).addr, ip("192.0.2.7"));
    }

    #[test]
    fn the_user_header_counts_only_from_a_trusted_proxy() {
        let p = ingress();
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-user", "alice@example.com"),
        ]);
        assert_eq!(
            p.identify(ip("10.0.0.5"), &h).user.as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(p.identify(ip("203.0.113.9"), &h).user, None, "forged");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = Client {
            addr: ip("2001:db8:1:2:aaaa::1"),
            proxy: None,
            user: None,
        };
        let b = Client {
            addr: ip("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            ..a.clone()
        };
        let other = Client {
            addr: ip("2001:db8:1:3::1"),
            ..a.clone()
        };
        assert_eq!(a.lockout_key(), "2001:db8:1:2::/64");
        assert_eq!(a.lockout_key(), b.lockout_key());
        assert_ne!(a.lockout_key(), other.lockout_key());
        let v4 = Client {
            addr: ip("203.0.113.9"),
            ..a
        };
        assert_eq!(v4.lockout_key(), "203.0.113.9");
    }

    #[test]
    fn trusted_ranges_that_together_cover_everyone_are_refused() {
        for (entries, says) in [
            (&["0.0.0.0/1", "128.0.0.0/1"][..], "every IPv4 address"),
            (
                &["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
                "every IPv4 address",
            ),
            (
                &["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"],
                "every IPv4 address",
            ),
            (
                &["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"],
                "every IPv4 address",
            ),
            (&["0.0.0.0/1", "::ffff:128.0.0.0/97"], "every IPv4 address"),
            (&["::/1", "8000::/1"], "every IPv4-mapped address"),
            (&["::/1"], "every IPv4-mapped address"),
            (&["::/64"], "every IPv4-mapped address"),
            (&["2000::/4", "3000::/4"], "2000::/3"),
            (
                &["::/4", "1000::/4", "2000::/3", "4000::/2", "8000::/1"],
                "every IPv4-mapped",
            ),
        ] {
            let list: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
            let err = ProxyPolicy::new(&list, None).unwrap_err();
            assert_eq!(err.0, "trusted_proxies", "{entries:?}");
            assert!(err.1.contains(says), "{entries:?}: {}", err.1);
            assert!(
                entries.iter().all(|e| err.1.contains(e)) || err.1.contains("every IPv4-mapped"),
                "names the entries: {}",
                err.1
            );
        }
        // IPv6 that leaves out only the mapped range still trusts every IPv6 client: the
        // sibling of each of the mapped range's supernets, /1 to /96.
        let mapped = u128::from(MAPPED.network());
        let all_but_mapped: Vec<String> = (1..=96u8)
            .map(|len| {
                let flipped = mapped ^ (1u128 << (128 - u32::from(len)));
                Ipv6Net::new(Ipv6Addr::from(flipped), len)
                    .unwrap()
                    .trunc()
                    .to_string()
            })
            .collect();
        let err = ProxyPolicy::new(&all_but_mapped, None).unwrap_err();
        assert!(err.1.contains("every IPv6 address"), "{}", err.1);
        let but_2000 = [&all_but_mapped[..2], &all_but_mapped[3..]].concat();
        assert!(ProxyPolicy::new(&but_2000, None).is_ok());
        let wide = ProxyPolicy::new(&["0.0.0.0/1".into(), "10.0.0.0/8".into()], None).unwrap();
        assert_eq!(
            wide.wide_public_ranges(),
            vec!["0.0.0.0/1".parse::<IpNet>().unwrap()]
        );
        for fine in [
            &["10.0.0.0/8", "192.168.0.0/16"][..],
            &["fd00::/8"],
            &["10.244.0.0/16"],
            &["2001:db8::/32"],
            &["0.0.0.0/1"],
            &["10.0.0.0/8", "fd00::/8", "::ffff:192.168.0.0/112"],
        ] {
            let list: Vec<String> = fine.iter().map(|e| e.to_string()).collect();
            assert!(ProxyPolicy::new(&list, None).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn ipv4_mapped_entries_trust_ipv4_peers() {
        let p = ProxyPolicy::new(&["::ffff:10.0.0.0/104".into()], None).unwrap();
        assert!(p.trusts(ip("10.1.2.3")));
        assert!(p.trusts(ip("::ffff:10.1.2.3")));
        assert!(!p.trusts(ip("11.0.0.1")));
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(p.identify(ip("10.1.2.3"), &h).addr, ip("203.0.113.9"));
    }

    #[test]
    fn settings_that_would_let_clients_choose_their_address_or_log_secrets_are_refused() {
        for wide in ["0.0.0.0/0", "::/0"] {
            let err = ProxyPolicy::new(&[wide.into()], None).unwrap_err();
            assert_eq!(err.0, "trusted_proxies");
        }
        assert!(ProxyPolicy::new(&["not-an-address".into()], None).is_err());
        let err = ProxyPolicy::new(&[], Some("X-Forwarded-User")).unwrap_err();
        assert_eq!(err.0, "proxy_user_header");
        for secret in ["Authorization", "X-F5-Auth-Token", "x-tokendeck-access-key"] {
            let err = ProxyPolicy::new(&["10.0.0.1".into()], Some(secret)).unwrap_err();
            assert_eq!(err.0, "proxy_user_header", "{secret}");
        }
    }
}
