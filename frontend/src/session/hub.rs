//! What every device's session shares: the ticking clock, the Activity log, fresh ids, and the
//! owner under which sessions' signals live (the app's root, so they outlive any page).

use leptos::prelude::*;

use super::activity::ActivityEntry;
use crate::platform::clock::now_micros;

/// What every session shares: the ticking clock, the Activity log, ids, and the owner under
/// which sessions' signals live.
#[derive(Clone, Copy)]
pub struct Hub {
    /// Local epoch microseconds, ticking once a second.
    pub now: RwSignal<i64>,
    pub activity: RwSignal<Vec<ActivityEntry>>,
    next_id: StoredValue<u64>,
    owner: StoredValue<Owner>,
}

impl Hub {
    /// The hub of the sessions created under the current (root) owner.
    pub fn start() -> Self {
        let owner = Owner::current().expect("created inside the app");
        Hub {
            now: RwSignal::new(now_micros()),
            activity: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(1),
            owner: StoredValue::new(owner),
        }
    }

    pub fn fresh_id(self) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    pub fn owner(self) -> Owner {
        self.owner.get_value()
    }
}
