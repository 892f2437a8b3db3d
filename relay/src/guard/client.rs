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

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;
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
        let mut networks = Vec::new();
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
            if net.prefix_len() == 0 {
                return Err((
                    "trusted_proxies",
                    format!(
                        "{entry} trusts every address, so any client could write its own \
                         address: list only the ingress's addresses or network"
                    ),
                ));
            }
            networks.push(net.trunc());
        }
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

    fn trusts(&self, ip: IpAddr) -> bool {
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
