//! The relay as a server: [`serve`] (the listen check, the pins followed, the accept loop),
//! `accept` (the hyper server: workers, connections, their bounds), `front` (what every request
//! passes through before and after the routes), `request_id`, and `startup` (the checks that
//! need I/O before serving, shared with `relay --check`).
//!
//! The top of the relay: nothing below imports it.

mod accept;
pub mod front;
pub mod request_id;
pub mod startup;

pub use front::Front;

use crate::state::AppState;

/// Serve [`crate::front`]`(state)` on `listener` until `shutdown` resolves, then finish
/// in-flight requests within `state.limits.shutdown_deadline`. `/readyz` fails from when
/// `shutdown` resolves (a SIGTERM's `shutdown` first waits with
/// [`crate::readiness::Readiness::drain_after`], so it fails earlier, while the relay still
/// serves). Meanwhile the inventory follows the replicas' store's pins.
///
/// Refuses a listener others can reach unless an access key is configured or the operator
/// opted out (`insecure_no_access_key`): [`crate::guard::AccessPolicy::exposure`], the rule
/// the configuration was checked by, applied again to the address actually bound.
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    state.access.exposure(bound).map_err(|unguarded| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to serve: {unguarded}"),
        )
    })?;
    state.bound = Some(bound);
    let (limits, metrics) = (state.limits, state.metrics.clone());
    let readiness = state.readiness.clone();
    let shutdown = async move {
        shutdown.await;
        readiness.start_draining();
    };
    let follow_pins = tokio::spawn(state.inventory.clone().follow_pins());
    let admission = accept::Admission {
        proxies: state.proxies.clone(),
        shares: state.connection_shares.clone(),
    };
    let front = Front::new(crate::routes::all(state.clone()), state);
    let served = accept::run(listener, front, limits, metrics, admission, shutdown).await;
    follow_pins.abort();
    served
}
