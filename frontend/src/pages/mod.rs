//! One page per file; each renders what a session can see on the device.

pub mod activity;
pub mod explorer;
pub mod nodes;
pub mod tokens;
pub mod version;
