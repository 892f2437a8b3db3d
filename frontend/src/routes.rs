//! The URL owns the page: `/devices/<id>/<page>`. The device's route provides that device's
//! session as context to its pages; reload, back/forward and bookmarks land on the same device
//! and page.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_params_map;
use shared::session::Phase;
use wasm_bindgen::JsValue;

use crate::components::login_form::LoginForm;
use crate::components::session_panel::SessionPanel;
use crate::components::trust_panel::TrustPanel;
use crate::devices;
use crate::pages::activity::ActivityPage;
use crate::pages::explorer::ExplorerPage;
use crate::platform::storage::{self, Scope};
use crate::session::{DeviceSession, LoginProblem, Sessions, use_session, use_sessions};

/// Pages every kind has, after the kind's own.
pub const COMMON_PAGES: [(&str, &str); 2] = [("explorer", "Explorer"), ("activity", "Activity")];

/// `/devices/<id>/<page>`.
pub fn page_href(device_id: &str, page: &str) -> String {
    format!("/devices/{device_id}/{page}")
}

/// Where `/` leads: the page of the device used last in this browser, or of the first one.
fn home_target(sessions: Sessions) -> Option<String> {
    let last = storage::load_text(Scope::Local, storage::LAST_DEVICE);
    sessions.devices.with_untracked(|devices| {
        last.and_then(|id| devices.iter().find(|d| d.id == id))
            .or_else(|| devices.first())
            .map(|d| page_href(&d.id, shared::devices::profile(d.kind).home()))
    })
}

/// Before the router first reads the URL: a load of `/` with the inventory already in the page
/// lands on the device's page in place (the history entry replaced), so the first render is
/// that page rather than `/` and then a navigation.
pub fn land(sessions: Sessions) {
    if !sessions.loaded.get_untracked() {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    if window.location().pathname().ok().as_deref() != Some("/") {
        return;
    }
    if let (Some(path), Ok(history)) = (home_target(sessions), window.history()) {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
    }
}

/// `/`: the device used last in this browser, or the first one. The redirect replaces `/` in
/// the history, so Back leaves the console rather than bouncing back to the device.
#[component]
pub fn Home() -> impl IntoView {
    let sessions = use_sessions();
    move || {
        if !sessions.loaded.get() {
            return view! { <p class="muted">"Reading the relay's inventory…"</p> }.into_any();
        }
        sessions.devices.track();
        match home_target(sessions) {
            Some(path) => view! { <Redirect path options=replace() /> }.into_any(),
            None => view! {
                <p class="empty">"Choose a device on the left to log in."</p>
            }
            .into_any(),
        }
    }
}

/// A redirect replaces the URL it leaves, so Back never returns to a page that only redirects.
fn replace() -> NavigateOptions {
    NavigateOptions {
        replace: true,
        ..NavigateOptions::default()
    }
}

/// `/devices/<id>`: the kind's landing page.
#[component]
pub fn DeviceHome() -> impl IntoView {
    let session = use_session();
    let path = page_href(&session.id(), session.profile.home());
    view! { <Redirect path options=replace() /> }
}

/// `/devices/<id>/…`: the device's session, as context for its pages.
#[component]
pub fn DeviceRoute() -> impl IntoView {
    let sessions = use_sessions();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    move || {
        let id = id.get();
        match sessions.device(&id) {
            Some(device) => {
                storage::save_text(Scope::Local, storage::LAST_DEVICE, &device.id);
                let session = sessions.session(&device);
                view! { <DeviceFrame session /> }.into_any()
            }
            None if !sessions.loaded.get() => {
                view! { <p class="muted">"Reading the relay's inventory…"</p> }.into_any()
            }
            None => view! {
                <p class="error" role="alert" id="unknown-device">
                    {format!("This relay has no device \u{201c}{id}\u{201d}. Pick one on the left.")}
                </p>
            }
            .into_any(),
        }
    }
}

/// The login form (or the trust panel) until signed in; then the session panel, the page tabs
/// and the page.
#[component]
fn DeviceFrame(session: DeviceSession) -> impl IntoView {
    provide_context(session);
    let signed_in = Memo::new(move |_| session.signed_in());
    let needs_password = Memo::new(move |_| {
        session
            .machine
            .with(|m| matches!(m.phase, Phase::NeedsPassword(_)))
    });
    let trust_problem = Memo::new(move |_| {
        session
            .login_problem
            .with(|p| matches!(p, Some(LoginProblem::Trust(_))))
    });
    move || {
        if trust_problem.get() && !signed_in.get() {
            return view! { <TrustPanel /> }.into_any();
        }
        if !signed_in.get() {
            return view! { <LoginForm overlay=false /> }.into_any();
        }
        view! {
            <SessionPanel />
            {move || needs_password.get().then(|| view! {
                <div class="overlay" role="dialog" aria-modal="true">
                    <LoginForm overlay=true />
                </div>
            })}
            <PageTabs />
            <Outlet />
        }
        .into_any()
    }
}

/// The kind's pages, then Explorer and Activity, as links.
#[component]
fn PageTabs() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let current = Memo::new(move |_| params.read().get("page").unwrap_or_default());
    let id = session.id();
    let activity = {
        let (hub, id) = (session.hub(), id.clone());
        Memo::new(move |_| {
            hub.activity
                .with(|log| log.iter().filter(|e| e.device_id == id).count())
        })
    };
    let tabs = session
        .profile
        .pages
        .iter()
        .map(|p| (p.slug, p.label))
        .chain(COMMON_PAGES)
        .map(|(slug, label)| {
            view! {
                <a role="tab" id=format!("tab-{slug}") class="tab" href=page_href(&id, slug)
                    class:active=move || current.get() == slug
                    aria-selected=move || (current.get() == slug).to_string()>
                    {label}
                    {(slug == "activity").then(|| view! {
                        <span class="badge">{move || activity.get()}</span>
                    })}
                </a>
            }
        })
        .collect_view();
    view! { <nav class="tabs" role="tablist">{tabs}</nav> }
}

/// `/devices/<id>/<page>`.
#[component]
pub fn PageRoute() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let page = Memo::new(move |_| params.read().get("page").unwrap_or_default());
    move || {
        match page.get().as_str() {
        "explorer" => view! { <ExplorerPage /> }.into_any(),
        "activity" => view! { <ActivityPage /> }.into_any(),
        slug => devices::page(session.profile.kind, slug).unwrap_or_else(|| {
            view! {
                <p class="error" role="alert">
                    {format!("A {} has no page \u{201c}{slug}\u{201d}.", session.profile.kind.label())}
                </p>
            }
            .into_any()
        }),
    }
    }
}
