//! The Activity log: every call the console made to any device, as the user would need to
//! reproduce it, with why it was made and where its answer came from.

use shared::curl::HttpCall;

/// Where a call's outcome came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The device answered (any status).
    Device,
    /// The relay answered with its own error (device down, certificate changed, held, …).
    Relay,
    /// Nothing answered: the relay itself was unreachable.
    Network,
    /// Still waiting (queued, or in flight).
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
    ClockCheck,
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
            Purpose::ClockCheck => "clock check",
        }
    }
}

/// One call in the log.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEntry {
    pub id: u64,
    pub device_id: String,
    pub device_name: String,
    /// Local epoch milliseconds when it was asked for.
    pub started_ms: f64,
    /// As made against the device's own URL.
    pub call: HttpCall,
    /// Path as shown (device path plus query).
    pub path: String,
    pub status: Option<u16>,
    pub origin: Origin,
    pub latency_ms: Option<f64>,
    pub purpose: Purpose,
    /// While it waits: why and until when (local epoch milliseconds), e.g. the rate limit.
    pub waiting: Option<(String, f64)>,
    /// After a 429: who refused ("held by Tokendeck" / "refused by the FMC") and the retries.
    pub note: Option<String>,
}

/// Newest first; the log keeps at most this many entries.
pub const ACTIVITY_LIMIT: usize = 300;
