//! The access key a relay on a non-loopback address requires, compared in constant time, and
//! the per-address limit on wrong guesses. Time is a parameter, so the limiter is tested
//! without sleeping.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest key the relay accepts.
pub const MIN_KEY_LEN: usize = 16;
/// Wrong keys an address may send per window before it is locked out for the window.
pub const MAX_FAILURES: u32 = 5;
/// The failure-counting window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at most (oldest windows are dropped first).
const MAX_TRACKED: usize = 10_000;

/// The operator's key. Only its SHA-256 is kept, and `Debug` never shows it.
#[derive(Clone)]
pub struct AccessKey {
    digest: [u8; 32],
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(<redacted>)")
    }
}

impl AccessKey {
    pub fn new(key: &str) -> Result<Self, String> {
        if key.chars().count() < MIN_KEY_LEN {
            return Err(format!(
                "the access key must be at least {MIN_KEY_LEN} characters (e.g. `openssl rand -hex 24`)"
            ));
        }
        Ok(Self {
            digest: Sha256::digest(key.as_bytes()).into(),
        })
    }

    /// Constant-time comparison (of digests, so the length does not leak either).
    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.digest.ct_eq(&presented).into()
    }
}

/// The outcome of checking one request's key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyCheck {
    Accepted,
    Missing,
    Wrong,
    Locked { retry_after_secs: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: Instant,
    count: u32,
}

/// Wrong-key counts per client address.
#[derive(Debug, Default)]
pub struct KeyFailures {
    by_client: Mutex<HashMap<IpAddr, Failures>>,
}

impl KeyFailures {
    /// Check `presented` against `key` for `client` at time `now`.
    pub fn check(
        &self,
        key: &AccessKey,
        presented: Option<&str>,
        client: IpAddr,
        now: Instant,
    ) -> KeyCheck {
        let mut map = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = map.get(&client) {
            let elapsed = now.saturating_duration_since(f.window_start);
            if elapsed >= WINDOW {
                map.remove(&client);
            } else if f.count >= MAX_FAILURES {
                let left = WINDOW - elapsed;
                return KeyCheck::Locked {
                    retry_after_secs: left.as_secs().max(1),
                };
            }
        }
        let Some(presented) = presented else {
            return KeyCheck::Missing;
        };
        if key.matches(presented) {
            // A success does not wipe the failures: guesses interleaved with the right key
            // still reach the lockout.
            return KeyCheck::Accepted;
        }
        if map.len() >= MAX_TRACKED {
            map.retain(|_, f| now.saturating_duration_since(f.window_start) < WINDOW);
            if map.len() >= MAX_TRACKED {
                map.clear();
            }
        }
        let entry = map.entry(client).or_insert(Failures {
            window_start: now,
            count: 0,
        });
        entry.count += 1;
        KeyCheck::Wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "correct-horse-battery-staple";

    #[test]
    fn keys_compare_exactly_and_are_redacted() {
        let key = AccessKey::new(KEY).unwrap();
        assert!(key.matches(KEY));
        assert!(!key.matches("correct-horse-battery-stapl"));
        assert!(!key.matches(""));
        assert!(!format!("{key:?}").contains("horse"));
        assert!(AccessKey::new("too-short").is_err());
    }

    #[test]
    fn five_wrong_keys_lock_an_address_for_the_rest_of_the_window() {
        let key = AccessKey::new(KEY).unwrap();
        let failures = KeyFailures::default();
        let attacker: IpAddr = "10.0.0.9".parse().unwrap();
        let user: IpAddr = "10.0.0.10".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert_eq!(
                failures.check(&key, Some("guess"), attacker, t0),
                KeyCheck::Wrong
            );
        }
        // Even the right key is refused while locked; other addresses are unaffected.
        assert_eq!(
            failures.check(&key, Some(KEY), attacker, t0 + Duration::from_secs(20)),
            KeyCheck::Locked {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            failures.check(&key, Some(KEY), user, t0),
            KeyCheck::Accepted
        );
        assert_eq!(failures.check(&key, None, user, t0), KeyCheck::Missing);
        // A right key between wrong ones does not reset the count.
        let guesser: IpAddr = "10.0.0.11".parse().unwrap();
        for n in 0..MAX_FAILURES {
            assert_eq!(
                failures.check(&key, Some("guess"), guesser, t0),
                KeyCheck::Wrong,
                "guess {n}"
            );
            assert_eq!(
                failures.check(&key, Some(KEY), guesser, t0),
                if n + 1 < MAX_FAILURES {
                    KeyCheck::Accepted
                } else {
                    KeyCheck::Locked {
                        retry_after_secs: 60,
                    }
                },
                "the right key after guess {n}"
            );
        }
        // After the window the address may try again.
        assert_eq!(
            failures.check(&key, Some(KEY), attacker, t0 + WINDOW),
            KeyCheck::Accepted
        );
    }
}
