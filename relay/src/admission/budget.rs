//! Each device's rate budget, across all users and replicas: requests a minute and calls at
//! once, so the relay's users together stay under the device's own limits (a device that counts
//! its callers answers 429 to everyone beyond them, and behind the relay every user is one
//! caller).
//!
//! The budget is `shared::wire::budget::RateBudget`, the one rule the console paces its own
//! calls by too; each device's is resolved when the device is built
//! (`crate::inventory::Device::budget`: its kind's default just under the kind's own limits,
//! where it has some, with the operator's `requests_per_minute` and `concurrent_calls` over
//! it). Token calls (sign-ins, renewals, sign-outs: the kind's profile tells them by method and
//! path) may use the whole budget; every other call leaves a reserve for them, so a renewal is
//! never stuck behind pages. Counted in the replicas' store, so N replicas share one budget.
//!
//! A call over budget is never sent: it gets `429 device_budget` with `Retry-After` (for the
//! minute's budget, when enough of its requests have left the window; for calls at once, a
//! second), a relay error, so the console can say "held by Tokendeck" rather than "refused by
//! the device". A call admitted holds its slot of the calls-at-once budget until its reply has
//! been passed on whole (or dropped): [`Admitted`] is the guard a `super::held::Held` body
//! keeps. Its request counts in the minute's window only if it reached the device: one that
//! never did (the relay could not connect, the handshake or the pin failed) is given back
//! ([`Admitted::unsent`]). If a replica dies holding slots, they stop counting after the
//! device's request and reply-idle timeouts.

use std::sync::Arc;
use std::time::Duration;

use shared::wire::budget::{Allowance, Priority, WINDOW_SECS};

use crate::inventory::Device;
use crate::replica_store::{Budget, ReplicaStore, Slot};

/// The window requests are counted in.
pub const WINDOW: Duration = Duration::from_secs(WINDOW_SECS);
/// What a call over the calls-at-once budget is told to wait.
const CONCURRENT_RETRY: Duration = Duration::from_secs(1);

/// Why a call was held back, and for how long. `kept` is how much of the budget is kept for
/// token calls and was not this call's to use (0 for a token call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverBudget {
    /// The minute's requests are spent.
    PerMinute {
        device: String,
        limit: u32,
        kept: u32,
        retry_after_secs: u64,
    },
    /// As many calls as allowed are in progress.
    Concurrent {
        device: String,
        limit: u32,
        kept: u32,
        retry_after_secs: u64,
    },
}

/// Every device's budget, counted in the replicas' store.
#[derive(Debug)]
pub struct DeviceBudgets {
    store: Arc<ReplicaStore>,
}

impl DeviceBudgets {
    pub fn new(store: Arc<ReplicaStore>) -> Self {
        Self { store }
    }

    /// Take this call's slots in `device`'s budget, or say why it must wait. `priority` is
    /// asked only when the device has a budget, so a device without one (the benchmarked
    /// path) pays for nothing but this check.
    ///
    /// The counting is boxed: its future (the store's, Redis included) is ~2.7 KB, and would
    /// otherwise be part of every forwarded call's future, which is copied at each `.await`
    /// on the way down.
    pub async fn admit(
        &self,
        device: &Device,
        priority: impl FnOnce() -> Priority,
    ) -> Result<Admitted, OverBudget> {
        if device.budget.is_none() {
            return Ok(Admitted::free());
        }
        let allowance = device.budget.allowance(priority());
        let kept = reserve_beyond(device.budget.total, allowance);
        Box::pin(self.count(device, allowance, kept)).await
    }

    /// [`Self::admit`] for a device with a budget: a calls-at-once slot first (handed back
    /// if the minute's budget then refuses), then a request in the minute's window.
    async fn count(
        &self,
        device: &Device,
        allowance: Allowance,
        kept: Allowance,
    ) -> Result<Admitted, OverBudget> {
        let id = &device.config.id;
        let mut admitted = Admitted {
            store: Some(self.store.clone()),
            call: None,
            request: None,
        };
        if let Some(limit) = allowance.concurrent {
            let calls = Budget {
                key: device.budget_keys.calls.clone(),
                limit,
                // Released when the reply is passed on; this only bounds a dead replica's slots.
                window: device.timeouts.request + device.timeouts.reply_idle,
            };
            match self.store.take_slot(&calls).await {
                Ok(slot) => admitted.call = Some(slot),
                Err(_) => {
                    return Err(OverBudget::Concurrent {
                        device: id.clone(),
                        limit,
                        kept: kept.concurrent.unwrap_or(0),
                        retry_after_secs: CONCURRENT_RETRY.as_secs(),
                    });
                }
            }
        }
        if let Some(limit) = allowance.per_minute {
            let requests = Budget {
                key: device.budget_keys.requests.clone(),
                limit,
                window: WINDOW,
            };
            // A request counts for the whole minute once it has been sent, whatever becomes of
            // it; one that never reached the device is given back ([`Admitted::unsent`]).
            match self.store.take_slot(&requests).await {
                Ok(slot) => admitted.request = Some(slot),
                Err(wait) => {
                    return Err(OverBudget::PerMinute {
                        device: id.clone(),
                        limit,
                        kept: kept.per_minute.unwrap_or(0),
                        retry_after_secs: wait.retry_after_secs(),
                    });
                }
            }
        }
        Ok(admitted)
    }
}

/// How much of `total` is beyond `allowance` (what a call of lower priority may not use).
fn reserve_beyond(total: Allowance, allowance: Allowance) -> Allowance {
    let beyond = |total: Option<u32>, allowed: Option<u32>| match (total, allowed) {
        (Some(total), Some(allowed)) => Some(total.saturating_sub(allowed)),
        _ => None,
    };
    Allowance {
        per_minute: beyond(total.per_minute, allowance.per_minute),
        concurrent: beyond(total.concurrent, allowance.concurrent),
    }
}

/// A call let through, with the slots it took: its place among the calls at once, handed
/// back when this drops (the call is over), and its request in the minute's window, which stays
/// counted for the minute — unless the call never reached the device ([`Admitted::unsent`]).
#[derive(Debug)]
pub struct Admitted {
    /// Where the slots were taken; `None` for a device without a budget.
    store: Option<Arc<ReplicaStore>>,
    call: Option<Slot>,
    request: Option<Slot>,
}

impl Admitted {
    /// A call of a device without a budget: nothing to hand back.
    pub fn free() -> Self {
        Self {
            store: None,
            call: None,
            request: None,
        }
    }

    /// Whether nothing was counted for this call.
    pub fn is_free(&self) -> bool {
        self.call.is_none() && self.request.is_none()
    }

    /// The call never reached the device (no connection, a failed handshake, a pin mismatch,
    /// out of time before its request went out): its request is given back to the minute's
    /// window, as if it had never been admitted. Free for a device without a budget.
    pub fn unsent(mut self) {
        if let (Some(store), Some(request)) = (&self.store, self.request.take()) {
            store.release(request);
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let (Some(store), Some(call)) = (&self.store, self.call.take()) {
            store.release(call);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{BudgetSetting, Device, DeviceConfig, Timeouts, device_budget};
    use crate::trust::TrustPolicy;
    use shared::wire::DeviceKind;

    /// A device (never dialled) with the operator's `setting` over its kind's default budget.
    fn device(setting: BudgetSetting) -> Device {
        let kind = DeviceKind::ALL[0];
        let config = DeviceConfig {
            id: "lab".into(),
            name: "Lab".into(),
            kind,
            base_url: "https://192.0.2.1".parse().unwrap(),
            trust: TrustPolicy::Insecure,
            tofu: false,
        };
        let mut device = Device::new(config, Timeouts::default()).unwrap();
        device.budget = device_budget(kind, Some(&setting));
        device
    }

    fn budgets() -> DeviceBudgets {
        DeviceBudgets::new(Arc::new(ReplicaStore::in_memory()))
    }

    #[tokio::test]
    async fn a_device_without_a_budget_is_never_held() {
        let device = device(BudgetSetting {
            per_minute: Some(0),
            concurrent: Some(0),
        });
        assert!(device.budget.is_none());
        let budgets = budgets();
        for _ in 0..500 {
            let admitted = budgets
                .admit(&device, || unreachable!("not asked without a budget"))
                .await
                .unwrap();
            assert!(admitted.is_free());
        }
    }

    #[tokio::test]
    async fn other_calls_leave_the_reserve_to_token_calls() {
        // 7 a minute, of which 5 are kept for token calls.
        let device = device(BudgetSetting {
            per_minute: Some(7),
            concurrent: Some(0),
        });
        let budgets = budgets();
        let mut admitted = Vec::new();
        for _ in 0..2 {
            admitted.push(budgets.admit(&device, || Priority::Ordinary).await.unwrap());
        }
        let held = budgets
            .admit(&device, || Priority::Ordinary)
            .await
            .unwrap_err();
        let OverBudget::PerMinute {
            limit,
            kept,
            retry_after_secs,
            ..
        } = held
        else {
            panic!("{held:?}")
        };
        assert_eq!((limit, kept), (2, 5));
        assert!((59..=60).contains(&retry_after_secs), "{retry_after_secs}");
        for _ in 0..5 {
            budgets.admit(&device, || Priority::Token).await.unwrap();
        }
        let held = budgets
            .admit(&device, || Priority::Token)
            .await
            .unwrap_err();
        assert!(
            matches!(
                held,
                OverBudget::PerMinute {
                    limit: 7,
                    kept: 0,
                    ..
                }
            ),
            "{held:?}"
        );
    }

    #[tokio::test]
    async fn a_calls_slot_is_held_until_the_call_is_over_and_only_then() {
        let device = device(BudgetSetting {
            per_minute: Some(0),
            concurrent: Some(2),
        });
        let budgets = budgets();
        let first = budgets.admit(&device, || Priority::Ordinary).await.unwrap();
        let held = budgets
            .admit(&device, || Priority::Ordinary)
            .await
            .unwrap_err();
        assert_eq!(
            held,
            OverBudget::Concurrent {
                device: "lab".into(),
                limit: 1,
                kept: 1,
                retry_after_secs: 1
            }
        );
        let token = budgets.admit(&device, || Priority::Token).await.unwrap();
        assert!(budgets.admit(&device, || Priority::Token).await.is_err());
        drop(first);
        drop(token);
        budgets.admit(&device, || Priority::Ordinary).await.unwrap();
    }

    #[tokio::test]
    async fn an_unsent_call_gives_its_minute_slot_back() {
        // 6 a minute: 1 for ordinary calls, 5 kept for sign-ins and renewals.
        let device = device(BudgetSetting {
            per_minute: Some(6),
            concurrent: Some(2),
        });
        let budgets = budgets();
        for _ in 0..3 {
            let admitted = budgets.admit(&device, || Priority::Ordinary).await.unwrap();
            assert!(!admitted.is_free());
            admitted.unsent();
        }
        // Sent (dropped, not given back): it counts for the minute.
        drop(budgets.admit(&device, || Priority::Ordinary).await.unwrap());
        let held = budgets.admit(&device, || Priority::Ordinary).await;
        assert!(
            matches!(held, Err(OverBudget::PerMinute { limit: 1, .. })),
            "{held:?}"
        );
    }

    #[test]
    fn the_reserve_is_what_the_total_allows_beyond_the_call() {
        let total = Allowance {
            per_minute: Some(115),
            concurrent: Some(9),
        };
        let ordinary = Allowance {
            per_minute: Some(110),
            concurrent: Some(8),
        };
        assert_eq!(
            reserve_beyond(total, ordinary),
            Allowance {
                per_minute: Some(5),
                concurrent: Some(1)
            }
        );
        assert_eq!(
            reserve_beyond(total, total),
            Allowance {
                per_minute: Some(0),
                concurrent: Some(0)
            }
        );
        assert_eq!(
            reserve_beyond(Allowance::default(), ordinary),
            Allowance::default()
        );
    }
}
