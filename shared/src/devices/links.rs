//! Device URLs both ways: percent-encoding a path segment the app builds (so a route-domain
//! name such as `10.1.1.1%0` travels as `10.1.1.1%250`), and mapping a link found in a device's
//! body back to a path on that device — to the kind's link host where its bodies always name one
//! (`Profile::link_host`), else to the address the client called (through the relay, the
//! device's own base URL).

pub use crate::wire::forward::encode_path_segment;

/// The path and query on the device that `link` points to, if it points at this device: the
/// kind's `link_host` or the device's own `base_url` origin.
pub fn device_target(
    link: &str,
    base_url: &str,
    link_host: Option<&str>,
) -> Option<(String, String)> {
    let base = base_url.trim_end_matches('/');
    let rest = link_host
        .and_then(|host| link.strip_prefix(host))
        .filter(|r| r.starts_with('/'))
        .or_else(|| {
            link.strip_prefix(base)
                .filter(|r| r.starts_with('/') && !base.is_empty())
        })?;
    Some(split_target(rest, base_url, link_host))
}

/// `/a/b?x=1` → (`/a/b`, `x=1`): a missing leading `/` is added, and a pasted device link is
/// mapped back to the device.
pub fn split_target(input: &str, base_url: &str, link_host: Option<&str>) -> (String, String) {
    let input = input.trim();
    let base = base_url.trim_end_matches('/');
    let input = link_host
        .and_then(|host| input.strip_prefix(host))
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
    const HOST: Option<&str> = Some("https://localhost");

    #[test]
    fn links_become_targets_on_the_same_device() {
        assert_eq!(
            device_target(
                "https://localhost/mgmt/tm/sys/version?ver=17.1.3",
                BASE,
                HOST
            ),
            Some(("/mgmt/tm/sys/version".into(), "ver=17.1.3".into()))
        );
        assert_eq!(
            device_target(
                "https://10.1.1.9:8445/api/fmc_config/v1/domain/x/object/hosts?offset=25",
                BASE,
                HOST
            ),
            Some((
                "/api/fmc_config/v1/domain/x/object/hosts".into(),
                "offset=25".into()
            ))
        );
        assert_eq!(device_target("https://localhostile/x", BASE, HOST), None);
        assert_eq!(device_target("https://10.1.1.9:84450/x", BASE, HOST), None);
        assert_eq!(device_target("/mgmt/tm", BASE, HOST), None);
        // A kind without a link host: only the device's own address links back to it.
        assert_eq!(device_target("https://localhost/mgmt/tm", BASE, None), None);
        assert_eq!(
            split_target("mgmt/tm", BASE, HOST),
            ("/mgmt/tm".into(), String::new())
        );
        assert_eq!(
            split_target(" https://localhost/mgmt/tm/sys?ver=17.1.3 ", BASE, HOST),
            ("/mgmt/tm/sys".into(), "ver=17.1.3".into())
        );
    }
}
