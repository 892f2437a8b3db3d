//! Name resolution for device pools and probes. Its errors are types the forwarding code
//! recognises (a DNS failure is told apart from a refused connection without reading message
//! text), and for ad-hoc devices it never returns a reserved address (loopback, link-local,
//! unspecified, cloud metadata), whatever the name resolves to.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Addresses never dialled as ad-hoc devices: unspecified, loopback, link-local (which holds
/// most clouds' metadata service), broadcast, multicast, and the metadata addresses outside
/// link-local (Alibaba, Azure's wire server, AWS's IPv6 endpoint).
const RESERVED: [&str; 12] = [
    "0.0.0.0/8",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "100.100.100.200/32",
    "168.63.129.16/32",
    "::/128",
    "::1/128",
    "fe80::/10",
    "ff00::/8",
    "fd00:ec2::254/128",
];

/// Whether `ip` is in a range the relay never dials ad hoc (IPv4-mapped IPv6 included).
pub fn is_reserved(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    RESERVED
        .iter()
        .filter_map(|net| net.parse::<IpNet>().ok())
        .any(|net| net.contains(&ip))
}

/// Why a device's host name gave no address to dial.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("device {device}: looking up {host}: {source}")]
    Lookup {
        device: String,
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("device {device}: {host} has no address")]
    NoAddress { device: String, host: String },
    #[error(
        "device {device}: {host} resolves to {address}, a reserved address the relay never dials ad hoc"
    )]
    Reserved {
        device: String,
        host: String,
        address: IpAddr,
    },
}

/// The resolver one device's pool uses.
#[derive(Debug, Clone, Default)]
pub struct DeviceResolver {
    device: String,
    refuse_reserved: bool,
}

impl DeviceResolver {
    /// Any address the system resolver returns (inventory devices: the operator chose them).
    pub fn any() -> Self {
        Self::default()
    }

    /// Only addresses outside the reserved ranges (ad-hoc devices).
    pub fn unreserved() -> Self {
        Self {
            refuse_reserved: true,
            ..Self::default()
        }
    }

    /// The same rules, for the device `id` (named in errors).
    pub fn for_device(mut self, id: &str) -> Self {
        self.device = id.to_owned();
        self
    }

    /// The device these rules are for (named in errors).
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The addresses to dial for `host:port` (an IP literal is its own address).
    pub async fn addresses(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let found: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|source| ResolveError::Lookup {
                    device: self.device.clone(),
                    host: bare.to_owned(),
                    source,
                })?
                .collect(),
        };
        self.admit(bare, found)
    }

    fn admit(&self, host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, ResolveError> {
        if self.refuse_reserved
            && let Some(reserved) = found.iter().find(|a| is_reserved(a.ip()))
        {
            return Err(ResolveError::Reserved {
                device: self.device.clone(),
                host: host.to_owned(),
                address: reserved.ip(),
            });
        }
        if found.is_empty() {
            return Err(ResolveError::NoAddress {
                device: self.device.clone(),
                host: host.to_owned(),
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_hoc_resolution_refuses_any_reserved_address() {
        let found = vec![
            "192.0.2.10:0".parse().unwrap(),
            "169.254.169.254:0".parse().unwrap(),
        ];
        assert!(matches!(
            DeviceResolver::unreserved().admit("x.example", found.clone()),
            Err(ResolveError::Reserved { .. })
        ));
        assert_eq!(DeviceResolver::any().admit("x", found).unwrap().len(), 2);
        assert!(matches!(
            DeviceResolver::any().admit("x", vec![]),
            Err(ResolveError::NoAddress { .. })
        ));
    }
}
