//! The core's promises as checks over any input, for two runners: the property tests here
//! (`cargo test -p shared`, in the test modules of each file) and the fuzz targets in `fuzz/`
//! (`cargo fuzz run curl_render`, `cargo fuzz run session_lifecycle`), which enable the
//! `fuzzing` feature to reach them. A check panics with the input and what broke.
//!
//! - [`curl`]: "copy as curl" never shows a password (nor, unrevealed, a token), and the line
//!   reads back as the call's own words in a POSIX shell.
//! - [`lifecycle`]: the lifecycle machine, driven by any sequence of events with each kind's
//!   real rules, keeps its rules (one login in flight, logins 30 s apart, one replay per request,
//!   no login holding a dead token, a taken-over session left to the user).

pub mod curl;
pub mod lifecycle;
