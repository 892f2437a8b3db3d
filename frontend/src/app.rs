//! The page frame: the device list on the left, the device and page the URL names on the right.

use leptos::prelude::*;

use crate::components::device_list::DeviceList;
use crate::platform::location::Location;
use crate::routes::{self, Routed};
use crate::session::Sessions;

#[component]
pub fn App() -> impl IntoView {
    let sessions = Sessions::start();
    provide_context(sessions);
    let location = Location::start();
    provide_context(location);
    routes::land(sessions, location);
    let signed_in = Memo::new(move |_| {
        sessions.hub.now.track();
        sessions.signed_in().len()
    });

    view! {
        <header class="topbar">
            <a class="brand" href="/">"Tokendeck"</a>
            <span class="tagline">"token console for BIG-IP, BIG-IQ and FMC"</span>
            {move || (signed_in.get() > 1).then(|| view! {
                <button class="secondary small everywhere" id="logout-everywhere"
                    on:click=move |_| sessions.logout_everywhere()>
                    {format!("Log out everywhere ({})", signed_in.get())}
                </button>
            })}
        </header>
        <div class="layout">
            <aside class="sidebar">
                <h2>"Devices"</h2>
                <DeviceList />
            </aside>
            <main class="content">
                <Routed />
            </main>
        </div>
    }
}
