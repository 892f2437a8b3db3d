//! Each client's fair share of a global cap, in the manner of nginx's `limit_conn`: the
//! connection cap (`limits.max_connections`, counted by the connection's address) and the
//! in-flight cap (`limits.max_in_flight`, counted by the client a request comes from, behind
//! trusted proxies the one they name). A client holding its share (`*_per_client`, half the cap
//! by default) is refused at once; the rest of the cap stays for everyone else, so one address
//! with 260 slow uploads or 600 half-sent request heads cannot starve the others.
//!
//! A static share rather than cap ÷ clients: predictable, testable, and it does not punish a
//! burst from a client alone on the relay.
//!
//! Bounded: a client has an entry only while it holds something, and the holdings are places
//! under the cap, so the table never holds more entries than the cap's permits. Cost: one
//! uncontended lock when a share is taken and one when it is given back; after the table has
//! grown to its usual size, no allocation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedSemaphorePermit;

/// Who a share is counted for: an IPv4 address, or an IPv6 /64 (one IPv6 host commonly holds
/// a whole /64, as the wrong-key lockout counts too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4([u8; 4]),
    V6Net([u8; 8]),
}

impl ClientKey {
    /// IPv4-mapped peers (`::ffff:a.b.c.d` on a dual-stack listener) count as their IPv4
    /// address, else every IPv4 client would share the key `::ffff:0:0/64`.
    pub fn of_ip(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4.octets()),
            IpAddr::V6(v6) => {
                let mut net = [0; 8];
                net.copy_from_slice(&v6.octets()[..8]);
                Self::V6Net(net)
            }
        }
    }
}

/// The client already holds its share of the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverShare {
    pub held: u32,
    pub limit: u32,
}

/// Per-client counts under one cap.
#[derive(Debug)]
pub struct FairShare {
    per_client: u32,
    held: Mutex<HashMap<ClientKey, u32>>,
    refused: AtomicU64,
}

impl FairShare {
    /// Shares of at most `per_client` places each (at least one).
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client: u32::try_from(per_client).unwrap_or(u32::MAX).max(1),
            held: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        })
    }

    fn table(&self) -> MutexGuard<'_, HashMap<ClientKey, u32>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count `permit` (a place under the global cap) for `key`, or refuse it: the client holds
    /// its share already. A refused permit is dropped, so the place is free again at once.
    pub fn take(
        self: &Arc<Self>,
        permit: OwnedSemaphorePermit,
        key: ClientKey,
    ) -> Result<Share, OverShare> {
        {
            let mut table = self.table();
            let held = table.entry(key).or_insert(0);
            if *held >= self.per_client {
                let over = OverShare {
                    held: *held,
                    limit: self.per_client,
                };
                drop(table);
                self.refused.fetch_add(1, Ordering::Relaxed);
                return Err(over);
            }
            *held += 1;
        }
        Ok(Share {
            _permit: permit,
            counted: Some((self.clone(), key)),
        })
    }

    /// A place counted for nobody (a connection from a trusted proxy, whose clients are
    /// counted per request).
    pub fn uncounted(permit: OwnedSemaphorePermit) -> Share {
        Share {
            _permit: permit,
            counted: None,
        }
    }

    /// Clients holding at least one place now.
    pub fn clients(&self) -> usize {
        self.table().len()
    }

    /// Places refused so far because their client held its share.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The most places one client may hold.
    pub fn per_client(&self) -> u32 {
        self.per_client
    }

    fn give_back(&self, key: &ClientKey) {
        let mut table = self.table();
        if let Some(held) = table.get_mut(key) {
            *held -= 1;
            if *held == 0 {
                table.remove(key);
            }
        }
    }
}

/// A place under a cap, counted for a client: dropping it frees both.
#[derive(Debug)]
pub struct Share {
    _permit: OwnedSemaphorePermit,
    counted: Option<(Arc<FairShare>, ClientKey)>,
}

impl Drop for Share {
    fn drop(&mut self) {
        if let Some((shares, key)) = &self.counted {
            shares.give_back(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::sync::Semaphore;

    fn key(ip: &str) -> ClientKey {
        ClientKey::of_ip(ip.parse().unwrap())
    }

    fn place(cap: &Arc<Semaphore>) -> OwnedSemaphorePermit {
        cap.clone().try_acquire_owned().unwrap()
    }

    #[test]
    fn a_client_at_its_share_is_refused_while_others_are_admitted() {
        let cap = Arc::new(Semaphore::new(4));
        let shares = FairShare::new(2);
        let (a, b) = (key("192.0.2.1"), key("192.0.2.2"));
        let _first = shares.take(place(&cap), a).unwrap();
        let _second = shares.take(place(&cap), a).unwrap();
        assert_eq!(
            shares.take(place(&cap), a).unwrap_err(),
            OverShare { held: 2, limit: 2 }
        );
        assert_eq!(
            cap.available_permits(),
            2,
            "the refused place is free again"
        );
        let _other = shares.take(place(&cap), b).unwrap();
        assert_eq!(shares.refused(), 1);
        assert_eq!(shares.clients(), 2);
    }

    #[test]
    fn dropping_a_share_frees_the_place_and_the_clients_entry() {
        let cap = Arc::new(Semaphore::new(4));
        let shares = FairShare::new(2);
        let held: Vec<Share> = (0..2)
            .map(|_| shares.take(place(&cap), key("192.0.2.1")).unwrap())
            .collect();
        let proxy = FairShare::uncounted(place(&cap));
        assert_eq!(cap.available_permits(), 1);
        drop(held);
        drop(proxy);
        assert_eq!(cap.available_permits(), 4);
        assert_eq!(shares.clients(), 0);
        shares.take(place(&cap), key("192.0.2.1")).unwrap();
    }

    #[test]
    fn the_table_never_outgrows_the_shares_held() {
        let cap = Arc::new(Semaphore::new(8));
        let shares = FairShare::new(2);
        let mut live = std::collections::VecDeque::new();
        for n in 0..10_000u32 {
            let ip = IpAddr::from(n.wrapping_mul(2_654_435_761).to_be_bytes());
            if live.len() == 8 {
                live.pop_front();
            }
            live.push_back(shares.take(place(&cap), ClientKey::of_ip(ip)).unwrap());
            assert!(shares.clients() <= live.len());
        }
        live.clear();
        assert_eq!(shares.clients(), 0);
    }

    #[test]
    fn ipv6_clients_share_by_their_64_and_mapped_peers_by_their_ipv4() {
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_ne!(key("::ffff:192.0.2.1"), key("::ffff:192.0.2.2"));
    }
}
