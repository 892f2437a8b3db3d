//! What every simulated device is configured with: [`SimConfig`].

use crate::clock::Clock;
use crate::server::ServerLimits;
use crate::users::{self, User};

/// What every simulated device is configured with. Build one with struct-update syntax over
/// [`SimConfig::default()`], so fields added later keep their defaults.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub users: Vec<User>,
    pub clock: Clock,
    /// Remote login providers (LDAP, RADIUS, …) a device with login providers (BIG-IP,
    /// BIG-IQ) accepts besides its local one. Their users are looked up in `users`, like
    /// local ones.
    pub remote_providers: Vec<String>,
    /// A new login by a user ends that user's older sessions, on a kind whose devices do so
    /// (FMC: "same credentials in UI and API log each other out"). On by default.
    pub session_takeover: bool,
    /// Timeouts, caps and the shutdown deadline of the device's server.
    pub limits: ServerLimits,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            users: users::default_users(),
            clock: Clock::system(),
            remote_providers: Vec::new(),
            session_takeover: true,
            limits: ServerLimits::default(),
        }
    }
}
