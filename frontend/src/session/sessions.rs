//! Every device's session under one ticker: the inventory (the relay's, plus ad-hoc devices this
//! browser added), one [`DeviceSession`] per device created on first use and kept for the life of
//! the tab, the Activity log of all of them, and "log out everywhere".

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::wire::{DeviceSummary, RelayInfo};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::device::DeviceSession;
use super::hub::Hub;
use crate::api::{self, ApiError};
use crate::platform::clock::now_micros;
use crate::platform::page;
use crate::platform::storage::{self, Scope};

/// The inventory and its sessions; `Copy`, provided as context by the app.
#[derive(Clone, Copy)]
pub struct Sessions {
    pub hub: Hub,
    /// The relay's devices, then the ad-hoc ones this browser added.
    pub devices: RwSignal<Vec<DeviceSummary>>,
    /// Why the inventory could not be read, if it could not.
    pub inventory_error: RwSignal<Option<ApiError>>,
    pub loaded: RwSignal<bool>,
    pub info: RwSignal<RelayInfo>,
    sessions: StoredValue<Vec<DeviceSession>>,
}

impl Sessions {
    /// Create the sessions' home under the current (root) owner and start the ticker.
    pub fn start() -> Self {
        let hub = Hub::start();
        let sessions = Self {
            hub,
            devices: RwSignal::new(Vec::new()),
            inventory_error: RwSignal::new(None),
            loaded: RwSignal::new(false),
            info: RwSignal::new(RelayInfo::default()),
            sessions: StoredValue::new(Vec::new()),
        };
        set_interval(move || sessions.tick(), Duration::from_secs(1));
        // Browsers throttle timers in background tabs: renew as soon as the tab is seen again.
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let on_visible = Closure::<dyn Fn()>::new(move || sessions.tick());
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                on_visible.as_ref().unchecked_ref(),
            );
            on_visible.forget();
        }
        match page::inventory() {
            // Served with the page: the first render has it.
            Some(inventory) => sessions.apply(Ok(inventory.devices), inventory.info),
            None => sessions.reload(),
        }
        sessions
    }

    fn tick(self) {
        self.hub.now.set(now_micros());
        for session in self.sessions.get_value() {
            session.tick();
        }
    }

    /// Read the inventory (again, e.g. after the access key was entered).
    pub fn reload(self) {
        spawn_local(async move {
            // Both at once: the login form waits for them.
            let (listed, info) =
                futures_util::future::join(api::list_devices(), api::relay_info()).await;
            self.apply(listed, info);
        });
    }

    /// Take in the relay's inventory (or why it could not be read) and what else it offers.
    fn apply(self, listed: Result<Vec<DeviceSummary>, ApiError>, info: RelayInfo) {
        match listed {
            Ok(mut devices) => {
                let ad_hoc: Vec<DeviceSummary> =
                    storage::load(Scope::Local, storage::AD_HOC).unwrap_or_default();
                devices.extend(
                    ad_hoc
                        .into_iter()
                        .filter(|a| info.ad_hoc && a.id.starts_with("adhoc~")),
                );
                self.inventory_error.set(None);
                // Every device gets its session now, so one kept across a reload goes on
                // renewing (and shows in the list) before its page is opened.
                for device in &devices {
                    self.session(device);
                }
                self.devices.set(devices);
            }
            Err(err) => self.inventory_error.set(Some(err)),
        }
        self.info.set(info);
        self.loaded.set(true);
    }

    /// The device with this id, if the inventory has it.
    pub fn device(self, id: &str) -> Option<DeviceSummary> {
        self.devices
            .with(|d| d.iter().find(|d| d.id == id).cloned())
    }

    /// This device's session, created on first use (and kept: switching devices only changes
    /// the view).
    pub fn session(self, device: &DeviceSummary) -> DeviceSession {
        if let Some(session) = self.existing(&device.id) {
            return session;
        }
        let hub = self.hub;
        let session = hub.owner().with(|| DeviceSession::new(device.clone(), hub));
        self.sessions.update_value(|s| s.push(session));
        session
    }

    /// The session of `id`, if one was made.
    pub fn existing(self, id: &str) -> Option<DeviceSession> {
        self.sessions
            .with_value(|s| s.iter().copied().find(|s| s.id() == id))
    }

    /// Sessions with a token or a login under way.
    pub fn signed_in(self) -> Vec<DeviceSession> {
        self.sessions
            .get_value()
            .into_iter()
            .filter(|s| s.signed_in())
            .collect()
    }

    /// "Log out everywhere": every session ends on its device.
    pub fn logout_everywhere(self) {
        for session in self.signed_in() {
            session.logout();
        }
    }

    /// An ad-hoc device the relay admitted: listed, and remembered in this browser.
    pub fn add_ad_hoc(self, device: DeviceSummary) {
        self.devices.update(|d| {
            d.retain(|x| x.id != device.id);
            d.push(device);
        });
        let ad_hoc: Vec<DeviceSummary> = self.devices.with_untracked(|d| {
            d.iter()
                .filter(|d| d.id.starts_with("adhoc~"))
                .cloned()
                .collect()
        });
        storage::save(Scope::Local, storage::AD_HOC, &ad_hoc);
    }

    /// The relay changed a device (a pin was made): show its new trust.
    pub fn replace(self, device: DeviceSummary) {
        if let Some(session) = self.existing(&device.id) {
            session.device.set(device.clone());
        }
        self.devices.update(|d| {
            if let Some(old) = d.iter_mut().find(|d| d.id == device.id) {
                *old = device;
            }
        });
    }
}

/// The sessions from context (provided by `App`).
pub fn use_sessions() -> Sessions {
    expect_context::<Sessions>()
}
