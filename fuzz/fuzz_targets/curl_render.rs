//! "Copy as curl" over any call, with a password and a token wherever a call can carry them
//! (`shared::properties::curl::check_curl_line`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::properties::curl::{CurlInput, check_curl_line};

fuzz_target!(|input: CurlInput| {
    if let Err(broken) = check_curl_line(&input) {
        panic!("{broken}\n  input: {input:?}");
    }
});
