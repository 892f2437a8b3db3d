//! The page frame: the device list on the left, the routed device and page on the right.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::components::device_list::DeviceList;
use crate::routes::{self, DeviceHome, DeviceRoute, Home, PageRoute};
use crate::session::Sessions;

#[component]
pub fn App() -> impl IntoView {
    let sessions = Sessions::start();
    provide_context(sessions);
    routes::land(sessions);
    let signed_in = Memo::new(move |_| {
        sessions.hub.now.track();
        sessions.signed_in().len()
    });

    view! {
        <Router>
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
                    <Routes fallback=|| view! {
                        <p class="empty">"There is no such page here. Pick a device on the left."</p>
                    }>
                        <Route path=path!("/") view=Home />
                        <ParentRoute path=path!("/devices/:id") view=DeviceRoute>
                            <Route path=path!("") view=DeviceHome />
                            <Route path=path!(":page") view=PageRoute />
                        </ParentRoute>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}
