//! The relay's per-device budget: requests a minute and calls at once, so all users of the
//! relay together stay under a device's own limits (an FMC allows 120 requests a minute and
//! 10 connections, and answers 429 to everyone beyond them).
//!
//! On by default, just under the device's limits, for every kind whose devices have such limits
//! (`shared::devices::profile(kind).rules.rate_limit`: 5 requests a minute and one call under
//! them); per device, `requests_per_minute` and `concurrent_calls` change either, and `0` turns
//! either off. Counted in the shared state, so N replicas share one budget. A call over budget
//! is never sent: it gets `429 device_budget` with `Retry-After` (for the minute's budget, when
//! its oldest request leaves the window; for calls at once, a second), a relay error, so the
//! console can say "held by Tokendeck" rather than "refused by the device".
//!
//! A call holds its slot of the calls-at-once budget until its reply has been passed on whole
//! (or dropped). If a replica dies holding slots, they stop counting after the device's request
//! and reply-idle timeouts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http_body_util::BodyExt;
use shared::wire::DeviceKind;

use crate::inventory::{Device, DeviceConfig};
use crate::shared_state::{Budget, SharedState, Slot};

/// The window requests are counted in.
pub const MINUTE: Duration = Duration::from_secs(60);
/// What a call over the calls-at-once budget is told to wait.
const CONCURRENT_RETRY: Duration = Duration::from_secs(1);
/// How far under the device's own limits the default budget stays.
const REQUESTS_MARGIN: u32 = 5;
const CALLS_MARGIN: u32 = 1;

/// One device's budget; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceBudget {
    pub per_minute: Option<u32>,
    pub concurrent: Option<u32>,
}

impl DeviceBudget {
    /// The default for a kind: just under its devices' own limits, where they have some.
    pub fn for_kind(kind: DeviceKind) -> Self {
        match shared::devices::profile(kind).rules.rate_limit {
            Some(limit) => Self {
                per_minute: Some(limit.per_minute.saturating_sub(REQUESTS_MARGIN).max(1)),
                concurrent: Some(limit.concurrent.saturating_sub(CALLS_MARGIN).max(1)),
            },
            None => Self::default(),
        }
    }

    /// A device's budget: its kind's default, with the operator's `setting` over it.
    pub fn configured(kind: DeviceKind, setting: Option<&BudgetSetting>) -> Self {
        let default = Self::for_kind(kind);
        setting.map_or(default, |setting| default.with(*setting))
    }

    /// This budget with the operator's `setting` applied over it.
    pub fn with(self, setting: BudgetSetting) -> Self {
        let pick = |set: Option<u32>, default: Option<u32>| match set {
            Some(0) => None,
            Some(n) => Some(n),
            None => default,
        };
        Self {
            per_minute: pick(setting.per_minute, self.per_minute),
            concurrent: pick(setting.concurrent, self.concurrent),
        }
    }

    /// For logs and `relay --check`.
    pub fn describe(&self) -> String {
        match (self.per_minute, self.concurrent) {
            (None, None) => "no budget".into(),
            (per_minute, concurrent) => {
                let show = |n: Option<u32>| n.map_or("unlimited".to_owned(), |n| n.to_string());
                format!(
                    "{} requests a minute, {} calls at once",
                    show(per_minute),
                    show(concurrent)
                )
            }
        }
    }
}

/// The operator's setting for one device (`requests_per_minute`, `concurrent_calls`): absent
/// keeps the kind's default, `0` turns that limit off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BudgetSetting {
    pub per_minute: Option<u32>,
    pub concurrent: Option<u32>,
}

/// Why a call was held back, and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// The minute's requests are spent.
    PerMinute {
        device: String,
        limit: u32,
        retry_after_secs: u64,
    },
    /// As many calls as allowed are in progress.
    Concurrent {
        device: String,
        limit: u32,
        retry_after_secs: u64,
    },
}

/// Every device's budget, counted in the shared state.
#[derive(Debug)]
pub struct DeviceBudgets {
    state: Arc<SharedState>,
    settings: HashMap<String, BudgetSetting>,
}

impl DeviceBudgets {
    /// Budgets counted in `state`, with the operator's `settings` by device id (devices not
    /// named keep their kind's default).
    pub fn new(state: Arc<SharedState>, settings: HashMap<String, BudgetSetting>) -> Self {
        Self { state, settings }
    }

    pub fn budget_of(&self, config: &DeviceConfig) -> DeviceBudget {
        DeviceBudget::configured(config.kind, self.settings.get(&config.id))
    }

    /// Take this call's slots in `device`'s budget, or say why it must wait.
    ///
    /// A device without a budget (the default for all but FMC) is let through at once. The
    /// counting is boxed: its future (the shared state's, Redis included) is ~2.7 KB, and would
    /// otherwise be part of every forwarded call's future, which is copied at each `.await`
    /// on the way down.
    pub async fn admit(&self, device: &Device) -> Result<Admitted, Held> {
        let budget = self.budget_of(&device.config);
        let admitted = Admitted {
            state: self.state.clone(),
            slot: None,
        };
        if budget.concurrent.is_none() && budget.per_minute.is_none() {
            return Ok(admitted);
        }
        Box::pin(self.count(device, budget, admitted)).await
    }

    /// [`Self::admit`] for a device with a budget.
    async fn count(
        &self,
        device: &Device,
        budget: DeviceBudget,
        mut admitted: Admitted,
    ) -> Result<Admitted, Held> {
        let id = &device.config.id;
        if let Some(limit) = budget.concurrent {
            let calls = Budget {
                key: format!("device:{id}:calls"),
                limit,
                // Released when the reply is passed on; this only bounds a dead replica's slots.
                window: device.timeouts.request + device.timeouts.reply_idle,
            };
            match self.state.take_slot(&calls).await {
                Ok(slot) => admitted.slot = Some(slot),
                Err(_) => {
                    return Err(Held::Concurrent {
                        device: id.clone(),
                        limit,
                        retry_after_secs: CONCURRENT_RETRY.as_secs(),
                    });
                }
            }
        }
        if let Some(limit) = budget.per_minute {
            let requests = Budget {
                key: format!("device:{id}:requests"),
                limit,
                window: MINUTE,
            };
            // A request counts for the whole minute, whatever becomes of it.
            if let Err(wait) = self.state.take_slot(&requests).await {
                return Err(Held::PerMinute {
                    device: id.clone(),
                    limit,
                    retry_after_secs: wait.retry_after_secs(),
                });
            }
        }
        Ok(admitted)
    }
}

/// A call let through; its slot of the calls-at-once budget is handed back when this drops.
#[derive(Debug)]
pub struct Admitted {
    state: Arc<SharedState>,
    slot: Option<Slot>,
}

impl Admitted {
    /// Keep the call's slot until `response`'s body has been sent whole (or dropped).
    pub fn hold_until_sent(self, response: Response) -> Response {
        if self.slot.is_none() {
            return response;
        }
        response.map(|body| {
            Body::new(body.map_frame(move |frame| {
                let _held = &self;
                frame
            }))
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.state.release(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmc_devices_get_a_budget_just_under_their_limits_others_none() {
        let fmc = DeviceBudget::for_kind(DeviceKind::Fmc);
        assert_eq!(fmc.per_minute, Some(115));
        assert_eq!(fmc.concurrent, Some(9));
        assert_eq!(
            DeviceBudget::for_kind(DeviceKind::Bigip),
            DeviceBudget::default()
        );
        assert_eq!(fmc.describe(), "115 requests a minute, 9 calls at once");
        assert_eq!(DeviceBudget::default().describe(), "no budget");
    }

    #[test]
    fn the_operator_changes_or_switches_off_either_limit() {
        let fmc = DeviceBudget::for_kind(DeviceKind::Fmc);
        let lower = fmc.with(BudgetSetting {
            per_minute: Some(60),
            concurrent: None,
        });
        assert_eq!(lower.per_minute, Some(60));
        assert_eq!(lower.concurrent, Some(9), "kept from the kind");
        let off = fmc.with(BudgetSetting {
            per_minute: Some(0),
            concurrent: Some(0),
        });
        assert_eq!(off, DeviceBudget::default());
        let bigip = DeviceBudget::for_kind(DeviceKind::Bigip).with(BudgetSetting {
            per_minute: None,
            concurrent: Some(4),
        });
        assert_eq!(bigip.per_minute, None);
        assert_eq!(bigip.concurrent, Some(4));
    }
}
