//! The lifecycle machine over any event sequence, with each kind's real rules
//! (`shared::properties::lifecycle::check_event_sequence`: the bytes are the script).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Err(broken) = shared::properties::lifecycle::check_event_sequence(bytes) {
        panic!("{broken}");
    }
});
