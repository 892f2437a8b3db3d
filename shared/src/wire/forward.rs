//! The forward path, `/api/devices/<id>/fwd/<device path>`: the one spelling of a call the relay
//! forwards to a device. The console builds it ([`forward_path`]); the relay reads it once
//! ([`ForwardPath::parse`]) and validates the device path itself.

/// Where the relay's devices live.
pub const DEVICES_PREFIX: &str = "/api/devices/";
/// Between a device's id and the path on the device.
pub const FORWARD_INFIX: &str = "/fwd/";

/// A forwarded call's path, split where it stands: borrowed, nothing decoded, nothing
/// validated beyond the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardPath<'a> {
    raw_id: &'a str,
    device_path: &'a str,
}

impl<'a> ForwardPath<'a> {
    /// `Some` when `path` is `/api/devices/<id>/fwd/<anything>` with a non-empty id.
    pub fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix(DEVICES_PREFIX)?;
        let slash = rest.find('/')?;
        let (raw_id, after) = rest.split_at(slash);
        if raw_id.is_empty() || !after.starts_with(FORWARD_INFIX) {
            return None;
        }
        // The infix's last `/` starts the device path: borrowed from `path` as it is.
        let device_path = &after[FORWARD_INFIX.len() - 1..];
        Some(Self {
            raw_id,
            device_path,
        })
    }

    /// The device's id as sent (still percent-encoded).
    pub fn raw_id(&self) -> &'a str {
        self.raw_id
    }

    /// The path on the device: `/` and everything after `/fwd/`, still percent-encoded.
    pub fn device_path(&self) -> &'a str {
        self.device_path
    }
}

/// The forward path of a call to `device_path` on device `device_id` (the id written as one
/// path segment; the device path's leading slashes folded into one).
pub fn forward_path(device_id: &str, device_path: &str) -> String {
    let device_path = device_path.trim_start_matches('/');
    format!(
        "{DEVICES_PREFIX}{}{FORWARD_INFIX}{device_path}",
        encode_path_segment(device_id)
    )
}

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

/// `%XX` escapes decoded (for checks: an escape that does not make UTF-8 keeps its bytes lossy).
#[cfg(test)]
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn builds_without_double_slash_and_reads_back() {
        let path = forward_path("lab", "/mgmt/tm/sys/version");
        assert_eq!(path, "/api/devices/lab/fwd/mgmt/tm/sys/version");
        let fwd = ForwardPath::parse(&path).unwrap();
        assert_eq!(fwd.raw_id(), "lab");
        assert_eq!(fwd.device_path(), "/mgmt/tm/sys/version");
        assert_eq!(
            forward_path("adhoc~bigip~10.0.0.1~443", "x"),
            "/api/devices/adhoc~bigip~10.0.0.1~443/fwd/x"
        );
    }

    #[test]
    fn only_the_grammar_parses() {
        for no in [
            "/api/devices//fwd/x",
            "/api/devices/lab",
            "/api/devices/lab/",
            "/api/devices/lab/probe",
            "/api/devices/lab/fwdx/y",
            "/api/devices/lab/fwd",
            "/devices/lab/fwd/x",
            "/api/info",
        ] {
            assert_eq!(ForwardPath::parse(no), None, "{no}");
        }
        let empty = ForwardPath::parse("/api/devices/lab/fwd/").unwrap();
        assert_eq!(empty.device_path(), "/");
        let encoded = ForwardPath::parse("/api/devices/adhoc%7Eb/fwd/%2e%2e/x").unwrap();
        assert_eq!(encoded.raw_id(), "adhoc%7Eb");
        assert_eq!(
            encoded.device_path(),
            "/%2e%2e/x",
            "nothing is decoded here"
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(
            encode_path_segment("~Common~10.1.1.1%0"),
            "~Common~10.1.1.1%250"
        );
        assert_eq!(encode_path_segment("a b?c#d/e"), "a%20b%3Fc%23d%2Fe");
        assert_eq!(encode_path_segment("fe80::1"), "fe80::1");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
    }

    proptest! {
        #[test]
        fn any_id_and_path_read_back_as_built(id in "\\PC{1,20}", path in "\\PC{0,40}") {
            let built = forward_path(&id, &path);
            let fwd = ForwardPath::parse(&built).expect("a built path parses");
            prop_assert_eq!(decode(fwd.raw_id()), id);
            prop_assert_eq!(fwd.device_path(), format!("/{}", path.trim_start_matches('/')));
        }
    }
}
