//! What the app holds for a logged-in user. Memory only: closing the tab forgets it.

use shared::device::DeviceSummary;
use shared::lease::TokenLease;

/// A logged-in session on one device.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub device: DeviceSummary,
    pub username: String,
    pub provider: String,
    pub lease: TokenLease,
}

/// Epoch microseconds from the browser's clock.
pub fn now_micros() -> i64 {
    (js_sys::Date::now() * 1000.0) as i64
}
