//! The access key a relay on a non-loopback address requires, compared in constant time, and
//! the per-client limit on wrong guesses, counted in the replicas' store (so every replica of a
//! portal counts one lockout per client). Clients are keyed as `client.rs` says (behind a
//! trusted ingress, the client's own address; IPv6 by /64).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::replica_store::{Budget, ReplicaStore};

/// Shortest key the relay accepts.
pub const MIN_KEY_LEN: usize = 16;
/// Wrong keys an address may send per window before it is locked out for the window.
pub const MAX_FAILURES: u32 = 5;
/// The failure-counting window.
pub const WINDOW: Duration = Duration::from_secs(60);

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

/// Wrong-key counts per client, in the replicas' store: a sliding window of [`MAX_FAILURES`]
/// slots a [`WINDOW`] per client. Locked while the window is full, right key or not.
#[derive(Debug)]
pub struct KeyFailures {
    state: Arc<ReplicaStore>,
}

impl KeyFailures {
    pub fn new(state: Arc<ReplicaStore>) -> Self {
        Self { state }
    }

    fn budget(client: &str) -> Budget {
        Budget {
            key: format!("wrong-keys:{client}").into(),
            limit: MAX_FAILURES,
            window: WINDOW,
        }
    }

    /// Check `presented` against `key` for the client counted as `client` (its lockout key).
    ///
    /// The key is compared first, then a wrong one takes a slot, atomically in the store: of a
    /// burst of guesses, however parallel, at most [`MAX_FAILURES`] are answered `Wrong` and
    /// the rest `Locked`, and a right key is accepted only while the window has room, so a
    /// burst tells the guesser nothing beyond its first few answers.
    pub async fn check(&self, key: &AccessKey, presented: Option<&str>, client: &str) -> KeyCheck {
        let budget = Self::budget(client);
        let locked = |wait: crate::replica_store::Wait| KeyCheck::Locked {
            retry_after_secs: wait.retry_after_secs(),
        };
        match presented {
            Some(presented) if !key.matches(presented) => {
                match self.state.take_slot(&budget).await {
                    // The slot stays taken: it counts for the window.
                    Ok(_counted) => KeyCheck::Wrong,
                    Err(wait) => locked(wait),
                }
            }
            // A success does not wipe the failures: guesses interleaved with the right key
            // still reach the lockout.
            Some(_) => match self.state.check(&budget).await {
                Ok(()) => KeyCheck::Accepted,
                Err(wait) => locked(wait),
            },
            None => match self.state.check(&budget).await {
                Ok(()) => KeyCheck::Missing,
                Err(wait) => locked(wait),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Mutex;
    use std::time::Instant;

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

    /// Key failures over an in-memory state whose clock the test moves.
    fn failures_at(now: Arc<Mutex<Instant>>) -> KeyFailures {
        let clock = move || *now.lock().unwrap();
        KeyFailures::new(Arc::new(ReplicaStore::in_memory_with_clock(Arc::new(
            clock,
        ))))
    }

    #[tokio::test]
    async fn five_wrong_keys_lock_a_client_for_the_rest_of_the_window() {
        let key = AccessKey::new(KEY).unwrap();
        let t0 = Instant::now();
        let now = Arc::new(Mutex::new(t0));
        let failures = failures_at(now.clone());
        let (attacker, user) = ("10.0.0.9", "10.0.0.10");
        for _ in 0..MAX_FAILURES {
            assert_eq!(
                failures.check(&key, Some("guess"), attacker).await,
                KeyCheck::Wrong
            );
        }
        // Even the right key is refused while locked; other clients are unaffected.
        *now.lock().unwrap() = t0 + Duration::from_secs(20);
        assert_eq!(
            failures.check(&key, Some(KEY), attacker).await,
            KeyCheck::Locked {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            failures.check(&key, Some(KEY), user).await,
            KeyCheck::Accepted
        );
        assert_eq!(failures.check(&key, None, user).await, KeyCheck::Missing);
        // A right key between wrong ones does not reset the count.
        let guesser = "10.0.0.11";
        for n in 0..MAX_FAILURES {
            assert_eq!(
                failures.check(&key, Some("guess"), guesser).await,
                KeyCheck::Wrong,
                "guess {n}"
            );
            assert_eq!(
                failures.check(&key, Some(KEY), guesser).await,
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
        // After the window the client may try again.
        *now.lock().unwrap() = t0 + WINDOW;
        assert_eq!(
            failures.check(&key, Some(KEY), attacker).await,
            KeyCheck::Accepted
        );
    }

    #[tokio::test]
    async fn a_parallel_burst_of_guesses_gets_five_answers_and_the_rest_are_locked() {
        let key = AccessKey::new(KEY).unwrap();
        let failures = Arc::new(failures_at(Arc::new(Mutex::new(Instant::now()))));
        let guesses: Vec<_> = (0..50)
            .map(|n| {
                let (failures, key) = (failures.clone(), key.clone());
                tokio::spawn(async move {
                    failures
                        .check(&key, Some(&format!("guess-{n}")), "10.0.0.9")
                        .await
                })
            })
            .collect();
        let mut wrong = 0;
        for guess in guesses {
            if guess.await.unwrap() == KeyCheck::Wrong {
                wrong += 1;
            }
        }
        assert_eq!(wrong, MAX_FAILURES);
    }
}
