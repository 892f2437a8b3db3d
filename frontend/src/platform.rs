//! What the browser provides besides HTTP: the clock and storage.

pub mod clock;
pub mod storage;
