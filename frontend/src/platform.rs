//! What the browser provides besides HTTP: the clock, the address bar, storage and the page as
//! served.

pub mod clock;
pub mod location;
pub mod page;
pub mod storage;
