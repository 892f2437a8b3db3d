//! Load shedding on the API: at most `limits.max_in_flight` requests under `/api` at once,
//! and at most `limits.max_in_flight_per_client` of them from one client (`super::fair_share`),
//! each holding its place until its reply has been passed on (`super::held`); past either, a
//! request is refused at once ([`Shed`], `503 overloaded` with `Retry-After`) rather than
//! queued. Health checks and the console's files are not counted: an overloaded relay must
//! still say it is alive and serve its page.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::fair_share::{ClientKey, FairShare, Share};

/// A request's place under the in-flight cap, counted for its client.
pub type Permit = Share;

/// Why a request was refused a place; try again after `retry_after_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shed {
    /// The relay is handling as many requests as it may.
    Full { retry_after_secs: u64 },
    /// This client has as many requests in progress as one client may.
    ClientShare {
        held: u32,
        limit: u32,
        retry_after_secs: u64,
    },
}

/// Whether the cap covers `path` (the API).
pub fn covers(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A place under the cap for `client`, or [`Shed`] when none is free or the client holds its
/// share.
pub fn admit(
    in_flight: &Arc<Semaphore>,
    shares: &Arc<FairShare>,
    client: ClientKey,
) -> Result<Permit, Shed> {
    let place = in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| Shed::Full {
            retry_after_secs: 1,
        })?;
    shares
        .take(place, client)
        .map_err(|over| Shed::ClientShare {
            held: over.held,
            limit: over.limit,
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
        let shares = FairShare::new(2);
        let (a, b) = (
            ClientKey::of_ip([192, 0, 2, 1].into()),
            ClientKey::of_ip([192, 0, 2, 2].into()),
        );
        let first = admit(&in_flight, &shares, a).unwrap();
        let _second = admit(&in_flight, &shares, b).unwrap();
        assert_eq!(
            admit(&in_flight, &shares, b).unwrap_err(),
            Shed::Full {
                retry_after_secs: 1
            }
        );
        drop(first);
        assert!(admit(&in_flight, &shares, a).is_ok());
    }

    #[test]
    fn a_client_at_its_share_is_shed_while_others_get_in() {
        let in_flight = Arc::new(Semaphore::new(4));
        let shares = FairShare::new(2);
        let (a, b) = (
            ClientKey::of_ip([192, 0, 2, 1].into()),
            ClientKey::of_ip([192, 0, 2, 2].into()),
        );
        let _held: Vec<Permit> = (0..2)
            .map(|_| admit(&in_flight, &shares, a).unwrap())
            .collect();
        assert_eq!(
            admit(&in_flight, &shares, a).unwrap_err(),
            Shed::ClientShare {
                held: 2,
                limit: 2,
                retry_after_secs: 1
            }
        );
        assert!(admit(&in_flight, &shares, b).is_ok());
    }
}
