//! The relay's header filters and secret marking over any headers
//! (`relay::properties::check_header_filters`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use relay::routes::forward::headers::{allowed_request_headers, allowed_response_headers};
use shared::devices::headers::secret_headers;

/// A header name: one that matters to the relay (by index), or any bytes.
#[derive(Debug, Arbitrary)]
enum Name {
    Known(u8),
    Raw(Vec<u8>),
}

const OTHERS: [&str; 8] = [
    "Host",
    "Origin",
    "X-F5-Auth-Token",
    "Set-Cookie",
    "x-forwarded-for",
    "connection",
    "te",
    "location",
];

fuzz_target!(|pairs: Vec<(Name, Vec<u8>)>| {
    let known: Vec<&str> = secret_headers()
        .iter()
        .copied()
        .chain(allowed_request_headers())
        .chain(allowed_response_headers())
        .chain(OTHERS)
        .collect();
    let raw: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .into_iter()
        .map(|(name, value)| {
            let name = match name {
                Name::Known(i) => known[usize::from(i) % known.len()].as_bytes().to_vec(),
                Name::Raw(bytes) => bytes,
            };
            (name, value)
        })
        .collect();
    let headers = relay::properties::header_map(&raw);
    if let Err(broken) = relay::properties::check_header_filters(&headers) {
        panic!("{broken}");
    }
});
