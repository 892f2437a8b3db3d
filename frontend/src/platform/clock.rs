//! The browser's clock, with an offset end-to-end tests can set (`window.__tokendeckClockOffsetMs`)
//! to move the console forward in step with the simulated devices' manual clock, instead of
//! sleeping through a token's lifetime.

use wasm_bindgen::JsValue;

fn offset_ms() -> f64 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("__tokendeckClockOffsetMs")).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// Epoch milliseconds.
pub fn now_ms() -> f64 {
    js_sys::Date::now() + offset_ms()
}

/// Epoch microseconds.
pub fn now_micros() -> i64 {
    (now_ms() * 1000.0) as i64
}

/// Minutes east of UTC, for showing wall-clock times.
pub fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}
