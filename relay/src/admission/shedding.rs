//! Load shedding on the API: at most `limits.max_in_flight` requests under `/api` at once,
//! each holding a permit until its reply has been passed on (`super::held`); past that, a
//! request is refused at once ([`Shed`], `503 overloaded` with `Retry-After`) rather than
//! queued. Health checks and the console's files are not counted: an overloaded relay must
//! still say it is alive and serve its page.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A request's place under the in-flight cap.
pub type Permit = OwnedSemaphorePermit;

/// The relay is handling as many requests as it may; try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shed {
    pub retry_after_secs: u64,
}

/// Whether the cap covers `path` (the API).
pub fn covers(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A place under the cap, or [`Shed`] when none is free.
pub fn admit(in_flight: &Arc<Semaphore>) -> Result<Permit, Shed> {
    in_flight.clone().try_acquire_owned().map_err(|_| Shed {
        retry_after_secs: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_api_is_counted() {
        assert!(covers("/api"));
        assert!(covers("/api/devices/lab/fwd/x"));
        for exempt in [
            "/",
            "/apix",
            "/livez",
            "/readyz",
            "/metrics",
            "/devices/lab",
        ] {
            assert!(!covers(exempt), "{exempt}");
        }
    }

    #[test]
    fn past_the_cap_requests_are_shed_until_a_permit_returns() {
        let in_flight = Arc::new(Semaphore::new(2));
        let first = admit(&in_flight).unwrap();
        let _second = admit(&in_flight).unwrap();
        assert_eq!(
            admit(&in_flight).unwrap_err(),
            Shed {
                retry_after_secs: 1
            }
        );
        drop(first);
        assert!(admit(&in_flight).is_ok());
    }
}
