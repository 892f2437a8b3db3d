//! New TCP connections to the device, counted from outside every process the same way for the
//! direct path, the relay and nginx: `/proc/net/tcp` is sampled every few milliseconds while a
//! run lasts. A connection counts once, when its device-side socket is first seen open (it has
//! an inode), or else by the client port its closing leaves behind (`TIME_WAIT` lasts a
//! minute). Client ports seen in any state before the run (open, or still closing from the
//! run before) are not new.
//! The report checks the count on the direct path, where it must equal the connections wrk
//! opens, and shows the relay's own counter (`tokendeck_device_tls_handshakes_total`, the TLS
//! connections its pool opened) beside it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const LISTEN: &str = "0A";
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// One socket of a TCP connection to the device port, as `/proc/net/tcp` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Seen {
    /// The device's open socket, by the client's port and the socket's inode.
    Open { peer: u16, inode: u64 },
    /// Any other socket of the connection (the client's end, or either end closing), by the
    /// client's port.
    Other { peer: u16 },
}

fn port_of(address: &str) -> Option<u16> {
    u16::from_str_radix(address.rsplit(':').next()?, 16).ok()
}

/// The IPv4 connections with one end at `port` (the device listens on 127.0.0.1).
fn snapshot(port: u16) -> HashSet<Seen> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let mut seen = HashSet::new();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let (Some(local), Some(remote)) = (port_of(f[1]), port_of(f[2])) else {
            continue;
        };
        let (state, inode) = (f[3], f[9].parse::<u64>().unwrap_or(0));
        if local == port && state != LISTEN && inode != 0 {
            seen.insert(Seen::Open {
                peer: remote,
                inode,
            });
        } else if local == port && state != LISTEN {
            seen.insert(Seen::Other { peer: remote });
        } else if remote == port {
            seen.insert(Seen::Other { peer: local });
        }
    }
    seen
}

/// Samples `/proc/net/tcp` in a thread until [`NewConnections::count`].
pub struct NewConnections {
    port: u16,
    before: HashSet<Seen>,
    during: Arc<Mutex<HashSet<Seen>>>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<()>>,
}

impl NewConnections {
    pub fn watch(port: u16) -> Self {
        let before = snapshot(port);
        let during = Arc::new(Mutex::new(HashSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (during, stop) = (during.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let now = snapshot(port);
                    during.lock().unwrap().extend(now);
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
        };
        Self {
            port,
            before,
            during,
            stop,
            sampler: Some(sampler),
        }
    }

    /// Connections opened since [`NewConnections::watch`].
    pub fn count(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
        let mut during = std::mem::take(&mut *self.during.lock().unwrap());
        during.extend(snapshot(self.port));
        count_new(&self.before, &during)
    }
}

fn count_new(before: &HashSet<Seen>, during: &HashSet<Seen>) -> u64 {
    let peer = |s: &Seen| match *s {
        Seen::Open { peer, .. } | Seen::Other { peer } => peer,
    };
    let opened: HashSet<Seen> = during
        .iter()
        .filter(|s| matches!(s, Seen::Open { .. }) && !before.contains(s))
        .copied()
        .collect();
    let known: HashSet<u16> = before.iter().chain(&opened).map(peer).collect();
    let unseen_while_open: HashSet<u16> = during
        .iter()
        .map(peer)
        .filter(|p| !known.contains(p))
        .collect();
    (opened.len() + unseen_while_open.len()) as u64
}
