//! The request id every request carries and every response says: a client's `x-request-id`
//! kept only if it is one, short and plain (so it can neither forge log fields nor carry a
//! payload), otherwise one the relay makes (a per-process random prefix and a counter).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether a client-chosen request id may be kept: 1 to 64 characters of letters, digits and
/// `-_.:`, so it can neither forge log fields nor carry a payload.
pub fn acceptable_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Request ids: a per-process random prefix and a counter.
pub struct RequestIds {
    prefix: u32,
    next: AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::UNIX_EPOCH
                .elapsed()
                .unwrap_or_default()
                .as_nanos(),
        );
        Self {
            prefix: hasher.finish() as u32,
            next: AtomicU64::new(1),
        }
    }

    fn make(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-{n:06}", self.prefix);
        HeaderValue::from_maybe_shared(Bytes::from(id)).expect("hex digits, a dash and digits")
    }

    /// The request's id: the client's if acceptable (one, short and plain), else a new one,
    /// which replaces whatever the client sent.
    pub fn assign(&self, headers: &mut HeaderMap) -> HeaderValue {
        let mut sent = headers.get_all(&REQUEST_ID).iter();
        if let (Some(id), None) = (sent.next(), sent.next())
            && acceptable_request_id(id.as_bytes())
        {
            return id.clone();
        }
        let id = self.make();
        headers.insert(REQUEST_ID, id.clone());
        id
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_short_request_ids_are_kept_others_replaced() {
        assert!(acceptable_request_id(b"0a1b2c3d-000042"));
        assert!(acceptable_request_id(b"trace:abc.def_1"));
        for bad in [
            &b""[..],
            b"a b",
            b"x\" level=ERROR msg=\"forged",
            b"line\nbreak",
            &[b'a'; 65][..],
            "caf\u{e9}".as_bytes(),
        ] {
            assert!(!acceptable_request_id(bad), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn an_accepted_id_can_forge_no_log_field(id in prop::collection::vec(any::<u8>(), 0..80)) {
            if acceptable_request_id(&id) {
                let text = std::str::from_utf8(&id).unwrap();
                prop_assert!(!text.contains(['"', '=', ' ', '\n', '\r', '\x1b']));
                prop_assert!(text.len() <= 64);
            }
        }
    }

    #[test]
    fn a_new_id_replaces_whatever_the_client_sent() {
        let ids = RequestIds::new();
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("kept-1"));
        assert_eq!(ids.assign(&mut headers), "kept-1");
        headers.append(REQUEST_ID, HeaderValue::from_static("second"));
        let made = ids.assign(&mut headers);
        assert_ne!(made, "kept-1");
        assert_eq!(
            headers.get_all(REQUEST_ID).iter().count(),
            1,
            "one id, the relay's"
        );
        assert_ne!(
            ids.assign(&mut HeaderMap::new()),
            made,
            "a counter, never the same"
        );
    }
}
