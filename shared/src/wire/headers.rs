//! Headers across the relay: what a rule about one says ([`HeaderRule`]), and the neutral
//! ones every kind may use. Each kind adds its own in its profile
//! (`crate::devices::Profile::headers`); `crate::devices::headers` joins both into the lists the
//! relay's allowlist and log redaction and the console's "copy as curl" read, so a new token
//! header cannot be masked in one place and leaked in another.

use super::relay_error::ACCESS_KEY_HEADER;

/// Which way a header crosses the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the console to the device.
    Request,
    /// Sent back by the device to the console.
    Reply,
    /// Both ways.
    Both,
}

impl Direction {
    pub fn request(self) -> bool {
        matches!(self, Direction::Request | Direction::Both)
    }

    pub fn reply(self) -> bool {
        matches!(self, Direction::Reply | Direction::Both)
    }
}

/// A header that may cross the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRule {
    /// Lower case.
    pub name: &'static str,
    pub direction: Direction,
    /// Carries a credential: never logged, masked in "copy as curl".
    pub secret: bool,
}

/// Headers any device may get or send, whatever its kind.
pub const NEUTRAL_HEADERS: [HeaderRule; 5] = [
    // HTTP authentication (Basic on a login, for kinds that log in that way).
    HeaderRule {
        name: "authorization",
        direction: Direction::Request,
        secret: true,
    },
    HeaderRule {
        name: "accept",
        direction: Direction::Request,
        secret: false,
    },
    HeaderRule {
        name: "content-type",
        direction: Direction::Both,
        secret: false,
    },
    // The device's clock as it shows it: the console's leases follow it (sped-up demos too).
    HeaderRule {
        name: "date",
        direction: Direction::Reply,
        secret: false,
    },
    HeaderRule {
        name: "retry-after",
        direction: Direction::Reply,
        secret: false,
    },
];

/// Headers that never cross the relay but must never be logged either (lower case): the
/// browser's cookies and the relay's own access key.
pub const UNFORWARDED_SECRETS: [&str; 3] = ["cookie", "set-cookie", ACCESS_KEY_HEADER];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_names_are_lower_case_and_the_secrets_are_not_forwarded() {
        for rule in NEUTRAL_HEADERS {
            assert_eq!(rule.name, rule.name.to_ascii_lowercase());
            assert!(!UNFORWARDED_SECRETS.contains(&rule.name));
        }
        assert!(
            NEUTRAL_HEADERS
                .iter()
                .any(|r| r.name == "authorization" && r.secret)
        );
    }
}
