//! The relay's path normalisation: any path after `/api/devices/{id}/fwd/`, any query, any
//! device id (`relay::properties::check_forward_target`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// `None`: an ordinary id (`lab`).
    device_id: Option<String>,
    rest: String,
    query: Option<String>,
}

fuzz_target!(|input: Input| {
    let id = input.device_id.as_deref().unwrap_or("lab");
    if let Err(broken) =
        relay::properties::check_forward_target(id, &input.rest, input.query.as_deref())
    {
        panic!("{broken}");
    }
});
