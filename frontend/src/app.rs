//! The page frame: device picker on the left, login or the session's pages on the right.

use std::time::Duration;

use leptos::prelude::*;
use shared::device::DeviceSummary;

use crate::api;
use crate::components::device_list::DeviceList;
use crate::components::login_form::LoginForm;
use crate::components::session_panel::SessionPanel;
use crate::pages::version::VersionPage;
use crate::session::{Session, now_micros};

#[component]
pub fn App() -> impl IntoView {
    let devices = LocalResource::new(api::list_devices);
    let selected = RwSignal::new(None::<DeviceSummary>);
    let session = RwSignal::new(None::<Session>);
    let now = RwSignal::new(now_micros());
    set_interval(move || now.set(now_micros()), Duration::from_millis(500));

    // Pick the first device once the inventory arrives, so a new user lands on a login form.
    Effect::new(move |_| {
        if selected.with_untracked(Option::is_none) {
            if let Some(Ok(list)) = devices.get() {
                if let Some(first) = list.first() {
                    selected.set(Some(first.clone()));
                }
            }
        }
    });

    view! {
        <header class="topbar">
            <span class="brand">"Tokendeck"</span>
            <span class="tagline">"token console for BIG-IP, BIG-IQ and FMC"</span>
        </header>
        <div class="layout">
            <aside class="sidebar">
                <h2>"Devices"</h2>
                <DeviceList devices selected session />
            </aside>
            <main class="content">
                {move || match (session.get(), selected.get()) {
                    (Some(_), _) => view! {
                        <SessionPanel session now />
                        <VersionPage session />
                    }.into_any(),
                    (None, Some(device)) => view! { <LoginForm device session /> }.into_any(),
                    (None, None) => view! {
                        <p class="empty">"Choose a device on the left to log in."</p>
                    }.into_any(),
                }}
            </main>
        </div>
    }
}
