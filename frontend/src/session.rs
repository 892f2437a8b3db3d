//! One device's session ([`DeviceSession`]): its own lifecycle machine (`shared::session`), who
//! is signed in, the password while "stay signed in" allows, what it learnt of the device's
//! clock, the device's rate budget, and what the user typed on its pages. [`Sessions`] holds one
//! per device under one ticker, so several devices stay signed in at once and selecting a device
//! only changes the view.
//!
//! The shell performs the machine's actions through the kind's profile
//! (`shared::devices::profile`) without naming a vendor; every device call goes through
//! [`DeviceSession::call`] (`calls.rs`) so a 401 is recovered at most once, a rate-limited
//! device is paced, and the call is recorded in the Activity log.

pub mod activity;
mod calls;
mod device;
mod hub;
mod persist;
mod sessions;

pub use device::{DeviceSession, LoginProblem, choose_scope, login_hint, use_session};
pub use sessions::{Sessions, use_sessions};
