//! The operator's rules for clients of the relay: which `Host` names it answers to
//! (DNS-rebinding defence), which origins may call its API cross-site, and its access key.
//! Pure decisions; the middleware that applies them is in `guard.rs`.

use std::net::{IpAddr, SocketAddr};

use reqwest::Url;

use super::access_key::AccessKey;

/// Header the app sends the access key in.
pub use shared::wire::ACCESS_KEY_HEADER;

/// How a listener on some address is protected (see [`AccessPolicy::exposure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// Only this machine can reach it.
    Loopback,
    /// Others can, and must present the access key.
    Keyed,
    /// Others can, without a key: the operator opted out (`insecure_no_access_key`), for a
    /// relay behind another authenticating proxy.
    OptedOut,
}

/// A listener others can reach with neither an access key nor the operator's opt-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "listening on {0} (not loopback) needs an access key: set access_key (or \
     TOKENDECK_ACCESS_KEY, or access_key_file), or, only behind another authenticating proxy, \
     insecure_no_access_key = true"
)]
pub struct Unguarded(pub SocketAddr);

/// The operator's rules for clients of the relay.
#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// Host names (lower case, no port) the relay answers to, besides `localhost`, loopback
    /// addresses and the address it is bound to.
    pub allowed_hosts: Vec<String>,
    /// Origins (`scheme://host[:port]`) allowed to call the API cross-origin.
    pub allowed_origins: Vec<String>,
    /// The key clients must present on `/api` and `/metrics`, if any.
    pub access_key: Option<AccessKey>,
    /// The operator's explicit opt-out from the access-key requirement on a public address.
    pub no_access_key: bool,
}

impl AccessPolicy {
    /// Validate the operator's lists; errors name the offending key.
    pub fn new(
        hosts: Vec<String>,
        origins: Vec<String>,
        access_key: Option<String>,
        no_access_key: bool,
    ) -> Result<Self, (&'static str, String)> {
        let mut allowed_hosts = Vec::new();
        for host in hosts {
            let lowered = host.trim().to_ascii_lowercase();
            if lowered.is_empty()
                || lowered.contains(['/', '@', '*', ' ', ':'])
                || lowered.starts_with('.')
            {
                return Err((
                    "allowed_hosts",
                    format!("{host:?} must be a plain host name without scheme, port or wildcard"),
                ));
            }
            allowed_hosts.push(lowered);
        }
        let mut allowed_origins = Vec::new();
        for origin in origins {
            allowed_origins.push(normalise_origin(&origin).ok_or((
                "allowed_origins",
                format!("{origin:?} must be an origin like https://portal.example.com (never *)"),
            ))?);
        }
        let access_key = access_key
            .map(|k| AccessKey::new(&k))
            .transpose()
            .map_err(|m| ("access_key", m))?;
        Ok(Self {
            allowed_hosts,
            allowed_origins,
            access_key,
            no_access_key,
        })
    }

    pub fn requires_key(&self) -> bool {
        self.access_key.is_some()
    }

    /// The one rule for where the relay may listen: a loopback address always; any other only
    /// with an access key, or the operator's explicit opt-out. Checked when the configuration
    /// is read and again when [`crate::serve`] binds (embedders and tests build their state
    /// without a configuration).
    pub fn exposure(&self, listen: SocketAddr) -> Result<Exposure, Unguarded> {
        if listen.ip().to_canonical().is_loopback() {
            Ok(Exposure::Loopback)
        } else if self.requires_key() {
            Ok(Exposure::Keyed)
        } else if self.no_access_key {
            Ok(Exposure::OptedOut)
        } else {
            Err(Unguarded(listen))
        }
    }

    /// Does the relay answer to this `Host` header? `bound` is the address it listens on,
    /// `local` the address this connection reached (a client that names the relay by the
    /// address it connected to is not being rebound: rebinding needs a name).
    pub fn host_allowed(
        &self,
        host_header: &str,
        bound: Option<SocketAddr>,
        local: Option<SocketAddr>,
    ) -> bool {
        let Some(host) = host_of_authority(host_header) else {
            return false;
        };
        if host == "localhost" {
            return true;
        }
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            let is = |addr: Option<SocketAddr>| {
                addr.is_some_and(|a| !a.ip().is_unspecified() && a.ip() == ip)
            };
            return ip.is_loopback() || is(bound) || is(local);
        }
        self.allowed_hosts.contains(&host)
    }

    /// May a page at `origin` call the API? Same origin (by host and port) always may.
    pub fn origin_allowed(&self, origin: &str, host_header: &str) -> bool {
        let Some(normal) = normalise_origin(origin) else {
            return false;
        };
        if self.allowed_origins.contains(&normal) {
            return true;
        }
        Url::parse(&normal).ok().is_some_and(|url| {
            let authority = match url.port() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            authority.eq_ignore_ascii_case(host_header)
        })
    }
}

/// `scheme://host[:port]` of an origin, or `None` if it is not a plain http(s) origin.
fn normalise_origin(origin: &str) -> Option<String> {
    let url = Url::parse(origin.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

/// The lower-case host part of `host[:port]` (IPv6 keeps its brackets), or `None` if malformed.
fn host_of_authority(authority: &str) -> Option<String> {
    let authority = authority.trim().to_ascii_lowercase();
    if authority.is_empty() || authority.contains(['/', '@', ' ', '\\']) {
        return None;
    }
    let host = if authority.starts_with('[') {
        let end = authority.find(']')?;
        authority[..=end].to_owned()
    } else {
        authority.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AccessPolicy {
        AccessPolicy::new(
            vec!["Relay.Example.com".into()],
            vec!["https://portal.example.com".into()],
            None,
            false,
        )
        .unwrap()
    }

    #[test]
    fn hosts_loopback_configured_and_bound_address_only() {
        let p = policy();
        let bound: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        for ok in [
            "localhost:8080",
            "127.0.0.1:9",
            "[::1]:8080",
            "relay.example.com",
            "RELAY.example.com:443",
            "10.0.0.5:8080",
        ] {
            assert!(p.host_allowed(ok, Some(bound), None), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "relay.example.com.evil.example",
            "10.0.0.6:8080",
            "user@relay.example.com",
            "localhost.evil.example",
        ] {
            assert!(!p.host_allowed(bad, Some(bound), None), "{bad}");
        }
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(!p.host_allowed("0.0.0.0:8080", Some(any), None));
        // Prometheus scraping a pod by the address it connected to.
        let pod: SocketAddr = "10.2.3.4:8080".parse().unwrap();
        assert!(p.host_allowed("10.2.3.4:8080", Some(any), Some(pod)));
        assert!(!p.host_allowed("10.2.3.5:8080", Some(any), Some(pod)));
        assert!(!p.host_allowed("evil.example", Some(any), Some(pod)));
    }

    #[test]
    fn origins_same_host_or_configured() {
        let p = policy();
        assert!(p.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(p.origin_allowed("https://portal.example.com", "relay.example.com"));
        assert!(!p.origin_allowed("https://evil.example", "127.0.0.1:8080"));
        assert!(!p.origin_allowed("null", "127.0.0.1:8080"));
        assert!(!p.origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080"));
    }

    #[test]
    fn a_listener_others_reach_needs_a_key_or_the_operators_opt_out() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        let open = AccessPolicy::default();
        for loopback in ["127.0.0.1:8080", "[::1]:8080", "[::ffff:127.0.0.1]:8080"] {
            assert_eq!(
                open.exposure(addr(loopback)),
                Ok(Exposure::Loopback),
                "{loopback}"
            );
        }
        let public = addr("0.0.0.0:8080");
        let err = open.exposure(public).unwrap_err();
        assert_eq!(err, Unguarded(public));
        assert!(err.to_string().contains("access key"), "{err}");
        let keyed =
            AccessPolicy::new(vec![], vec![], Some("correct-horse-battery".into()), false).unwrap();
        assert_eq!(keyed.exposure(public), Ok(Exposure::Keyed));
        let opted_out = AccessPolicy::new(vec![], vec![], None, true).unwrap();
        assert_eq!(opted_out.exposure(public), Ok(Exposure::OptedOut));
        assert_eq!(
            opted_out.exposure(addr("127.0.0.1:1")),
            Ok(Exposure::Loopback)
        );
    }

    #[test]
    fn wildcards_and_paths_are_refused_in_configuration() {
        assert!(AccessPolicy::new(vec![], vec!["*".into()], None, false).is_err());
        assert!(
            AccessPolicy::new(vec![], vec!["https://a.example/x".into()], None, false).is_err()
        );
        assert!(AccessPolicy::new(vec!["*.example.com".into()], vec![], None, false).is_err());
        assert!(AccessPolicy::new(vec![], vec![], Some("short".into()), false).is_err());
    }
}
