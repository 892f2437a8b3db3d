//! A device call as a description (method, path, headers, body) and a device's reply as data,
//! so each kind's protocol is pure: the console performs calls without knowing the vendor.

/// One request to a device, to be sent through the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: &'static str,
    /// Device path with its query, e.g. `/mgmt/tm/ltm/node?$select=name`.
    pub path: String,
    /// Header names and values, in the order to send.
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Self::new("GET", path)
    }

    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// The same call with a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The same call with a JSON body.
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(body.to_string());
        self
    }

    /// The same call with HTTP Basic credentials.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let encoded = base64(format!("{user}:{password}").as_bytes());
        self.header("Authorization", format!("Basic {encoded}"))
    }
}

/// A device's answer: status, headers (names in lower case) and body text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// A header's value (names compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Standard base64 with padding (RFC 4648), for HTTP Basic.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (raw, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("admin:secret", "YWRtaW46c2VjcmV0"),
        ] {
            assert_eq!(base64(raw.as_bytes()), want, "{raw}");
        }
    }

    #[test]
    fn reply_headers_ignore_case() {
        let reply = Reply {
            status: 204,
            headers: vec![("x-auth-access-token".into(), "a".into())],
            body: String::new(),
        };
        assert_eq!(reply.header("X-auth-access-token"), Some("a"));
        assert_eq!(reply.header("missing"), None);
    }
}
