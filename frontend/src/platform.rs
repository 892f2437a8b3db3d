//! What the browser provides besides HTTP: the clock, storage and the page as served.

pub mod clock;
pub mod page;
pub mod storage;
