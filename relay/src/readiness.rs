//! Whether this replica wants new traffic (`GET /readyz`). Ready from start-up until a shutdown
//! begins; from then on not ready, while it keeps serving for a short delay (so the load
//! balancer notices and sends new requests elsewhere) and then drains what is in flight. Only
//! shutting down makes a replica unready: an unreachable device (or the replicas' store) never
//! does, since taking every replica out of the balancer would help nobody.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Readiness {
    draining: AtomicBool,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        !self.draining.load(Ordering::SeqCst)
    }

    /// From now on `/readyz` fails.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// What a SIGTERM starts: unready at once, still serving for `delay` so the load balancer
    /// takes this replica out before it stops accepting.
    pub async fn drain_after(&self, delay: Duration) {
        self.start_draining();
        if !delay.is_zero() {
            tracing::info!(
                delay_ms = delay.as_millis() as u64,
                "shutting down: /readyz now fails; still serving until the load balancer notices"
            );
            tokio::time::sleep(delay).await;
        }
    }
}
