//! Device URLs both ways: percent-encoding a path segment the app builds (so a BIG-IP
//! route-domain name such as `10.1.1.1%0` travels as `10.1.1.1%250`), and mapping a link found
//! in a device's body back to a path on that device — F5 bodies always name
//! `https://localhost/...`; FMC bodies name the address the client called (through the relay,
//! the device's own base URL).

use super::f5::LINK_HOST;

/// Percent-encode one path segment: unreserved characters (RFC 3986), `~` and `:` stay; every
/// other byte (`%` itself, `/`, `?`, `#`, spaces, non-ASCII) becomes `%XX`.
pub fn encode_path_segment(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
    out
}

/// The path and query on the device that `link` points to, if it points at this device:
/// `https://localhost/...` (F5) or the device's own `base_url` origin (FMC).
pub fn device_target(link: &str, base_url: &str) -> Option<(String, String)> {
    let base = base_url.trim_end_matches('/');
    let rest = link
        .strip_prefix(LINK_HOST)
        .filter(|r| r.starts_with('/'))
        .or_else(|| {
            link.strip_prefix(base)
                .filter(|r| r.starts_with('/') && !base.is_empty())
        })?;
    Some(split_target(rest, base_url))
}

/// `/a/b?x=1` → (`/a/b`, `x=1`): a missing leading `/` is added, and a pasted device link is
/// mapped back to the device.
pub fn split_target(input: &str, base_url: &str) -> (String, String) {
    let input = input.trim();
    let base = base_url.trim_end_matches('/');
    let input = input
        .strip_prefix(LINK_HOST)
        .or_else(|| input.strip_prefix(base).filter(|_| !base.is_empty()))
        .unwrap_or(input);
    let (path, query) = input.split_once('?').unwrap_or((input, ""));
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    (path, query.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://10.1.1.9:8445";

    #[test]
    fn route_domains_and_reserved_characters_are_encoded() {
        assert_eq!(
            encode_path_segment("~Common~10.1.1.1%0"),
            "~Common~10.1.1.1%250"
        );
        assert_eq!(encode_path_segment("a b?c#d/e"), "a%20b%3Fc%23d%2Fe");
        assert_eq!(encode_path_segment("fe80::1"), "fe80::1");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    #[test]
    fn links_become_targets_on_the_same_device() {
        assert_eq!(
            device_target("https://localhost/mgmt/tm/sys/version?ver=17.1.3", BASE),
            Some(("/mgmt/tm/sys/version".into(), "ver=17.1.3".into()))
        );
        assert_eq!(
            device_target(
                "https://10.1.1.9:8445/api/fmc_config/v1/domain/x/object/hosts?offset=25",
                BASE
            ),
            Some((
                "/api/fmc_config/v1/domain/x/object/hosts".into(),
                "offset=25".into()
            ))
        );
        assert_eq!(device_target("https://localhostile/x", BASE), None);
        assert_eq!(device_target("https://10.1.1.9:84450/x", BASE), None);
        assert_eq!(device_target("/mgmt/tm", BASE), None);
        assert_eq!(
            split_target("mgmt/tm", BASE),
            ("/mgmt/tm".into(), String::new())
        );
        assert_eq!(
            split_target(" https://localhost/mgmt/tm/sys?ver=17.1.3 ", BASE),
            ("/mgmt/tm/sys".into(), "ver=17.1.3".into())
        );
    }
}
