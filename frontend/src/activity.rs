//! The Activity log: every call the console made, as the user would need to reproduce it.

use shared::curl::HttpCall;

/// Where a call's outcome came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The device answered (any status).
    Device,
    /// The relay answered with its own error (device down, certificate changed, …).
    Relay,
    /// Nothing answered: the relay itself was unreachable.
    Network,
    /// Still waiting.
    Pending,
}

/// Why the console made a call, when not because the user asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    User,
    SignIn,
    AutoLogin,
    Renewal,
    Replay,
    Cleanup,
}

impl Purpose {
    pub fn label(self) -> &'static str {
        match self {
            Purpose::User => "",
            Purpose::SignIn => "sign-in",
            Purpose::AutoLogin => "auto login",
            Purpose::Renewal => "auto-renew",
            Purpose::Replay => "replay",
            Purpose::Cleanup => "cleanup",
        }
    }
}

/// One call in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEntry {
    pub id: u64,
    /// Local epoch milliseconds when it started.
    pub started_ms: f64,
    pub device: String,
    pub call: HttpCall,
    /// Path as shown (device path plus query).
    pub path: String,
    pub status: Option<u16>,
    pub origin: Origin,
    pub latency_ms: Option<f64>,
    pub purpose: Purpose,
}

/// Newest first; the log keeps at most this many entries.
pub const ACTIVITY_LIMIT: usize = 300;
