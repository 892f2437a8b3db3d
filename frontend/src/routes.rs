//! The URL owns the page: `/devices/<id>/<page>`. [`Route`] is what a path names; [`Routed`]
//! shows it. The device's view provides that device's session as context to its pages; reload,
//! back/forward and bookmarks land on the same device and page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_split::{SplitLoaderError, wasm_split};
use send_wrapper::SendWrapper;
use shared::session::Phase;
use shared::wire::DeviceKind;

use crate::components::login_form::LoginForm;
use crate::components::say::{Tone, say};
use crate::components::session_panel::SessionPanel;
use crate::components::trust_panel::TrustPanel;
use crate::devices;
use crate::pages::activity::ActivityPage;
use crate::pages::explorer::ExplorerPage;
use crate::platform::location::{Location, use_location};
use crate::platform::storage::{self, Scope};
use crate::session::{DeviceSession, LoginProblem, Sessions, use_session, use_sessions};
use crate::url::{COMMON_PAGES, Route, page_href};

/// The current route (tracked).
fn current_route() -> Memo<Route> {
    let location = use_location();
    Memo::new(move |_| location.with(Route::of))
}

/// What the address bar names, shown: `/`, a device (rebuilt when the device changes, not when
/// the page does), or a page there is not.
#[component]
pub fn Routed() -> impl IntoView {
    let route = current_route();
    let shown = Memo::new(move |_| route.with(Route::without_page));
    move || match shown.get() {
        Route::Home => view! { <Home /> }.into_any(),
        Route::Device { id, .. } => view! { <DeviceRoute id /> }.into_any(),
        Route::Unknown => view! {
            <p class="empty">"There is no such page here. Pick a device on the left."</p>
        }
        .into_any(),
    }
}

/// Move to `path` in place of the page being left, once this render is done: a redirect.
fn redirect(location: Location, path: String) {
    spawn_local(async move { location.navigate(&path, true) });
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

/// At start, before the first render: a load of `/` with the inventory already in the page
/// lands on the device's page in place (the history entry replaced), so the first render is
/// that page rather than `/` and then a redirect.
pub fn land(sessions: Sessions, location: Location) {
    if !sessions.loaded.get_untracked() || location.with_untracked(|path| path != "/") {
        return;
    }
    if let Some(path) = home_target(sessions) {
        location.navigate(&path, true);
    }
}

/// `/`: the device used last in this browser, or the first one. The redirect replaces `/` in
/// the history, so Back leaves the console rather than bouncing back to the device.
#[component]
fn Home() -> impl IntoView {
    let sessions = use_sessions();
    let location = use_location();
    move || {
        if !sessions.loaded.get() {
            return view! { <p class="muted">"Reading the relay's inventory…"</p> }.into_any();
        }
        sessions.devices.track();
        match home_target(sessions) {
            Some(path) => {
                redirect(location, path);
                ().into_any()
            }
            None => view! {
                <p class="empty">"Choose a device on the left to log in."</p>
            }
            .into_any(),
        }
    }
}

/// `/devices/<id>/…`: the device's session, as context for its pages.
#[component]
fn DeviceRoute(id: String) -> impl IntoView {
    let sessions = use_sessions();
    move || match sessions.device(&id) {
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
            return fetched(async {
                trust_panel()
                    .await
                    .unwrap_or_else(|PageNotFetched| not_fetched())
            });
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
            <PageRoute />
        }
        .into_any()
    }
}

/// The kind's pages, then Explorer and Activity, as links.
#[component]
fn PageTabs() -> impl IntoView {
    let session = use_session();
    let route = current_route();
    let current = Memo::new(move |_| route.with(|r| r.page().unwrap_or_default().to_owned()));
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

/// A page's part of the console could not be fetched from the relay.
#[derive(Debug)]
struct PageNotFetched;

impl From<SplitLoaderError> for PageNotFetched {
    fn from(_: SplitLoaderError) -> Self {
        PageNotFetched
    }
}

// The pages' code (and the trust panel's) is split off the wasm the console starts with (`cargo
// xtask build` splits it along these functions): each part is fetched the first time one of its
// views is shown, so the first load carries the frame, the device list, the login form and the
// session shell only. A part that cannot be fetched is an error the view shows (the next try
// fetches it again).

#[wasm_split(explorer, wasm_split_path = ::leptos::wasm_split, fallible)]
fn explorer_page() -> Result<AnyView, PageNotFetched> {
    Ok(view! { <ExplorerPage /> }.into_any())
}

#[wasm_split(activity, wasm_split_path = ::leptos::wasm_split, fallible)]
fn activity_page() -> Result<AnyView, PageNotFetched> {
    Ok(view! { <ActivityPage /> }.into_any())
}

/// The trust panel: only a device the relay does not trust yet shows it.
#[wasm_split(trust, wasm_split_path = ::leptos::wasm_split, fallible)]
fn trust_panel() -> Result<AnyView, PageNotFetched> {
    Ok(view! { <TrustPanel /> }.into_any())
}

/// The kinds' own pages, all in one part (a device's landing page is among them).
#[wasm_split(kind_pages, wasm_split_path = ::leptos::wasm_split, fallible)]
fn kind_page(kind: DeviceKind, slug: String) -> Result<Option<AnyView>, PageNotFetched> {
    Ok(devices::page(kind, &slug))
}

/// What a page that cannot be fetched says.
const PAGE_NOT_FETCHED: &str = "This page's part of the console could not be fetched from the \
    Tokendeck relay: it may have stopped, or been updated since this page was loaded. Check that \
    it is running, then reload the page.";

/// The view of page `slug` of a `kind` device, once its part of the console is here.
async fn page_view(kind: DeviceKind, slug: String) -> AnyView {
    let fetched = match slug.as_str() {
        "explorer" => explorer_page().await.map(Some),
        "activity" => activity_page().await.map(Some),
        _ => kind_page(kind, slug.clone()).await,
    };
    match fetched {
        Ok(Some(view)) => view,
        Ok(None) => say(
            Tone::Error,
            format!(
                "A {} has no page \u{201c}{slug}\u{201d}.",
                shared::devices::profile(kind).label
            ),
            None,
        ),
        Err(PageNotFetched) => not_fetched(),
    }
}

fn not_fetched() -> AnyView {
    say(
        Tone::Error,
        PAGE_NOT_FETCHED.into(),
        Some("page-not-fetched"),
    )
}

/// A view whose code is in a part of the console: the first time, the part is fetched, and a
/// line says so until it is here (at once, the next times). Polled under the caller's owner, so
/// the view finds its device's session as context.
fn fetched(view: impl Future<Output = AnyView> + 'static) -> AnyView {
    let arrived = RwSignal::new(false);
    let view = async move {
        let view = view.await;
        arrived.set(true);
        view
    };
    view! {
        {move || (!arrived.get()).then(|| say(Tone::Muted, "Fetching this page…".into(), Some("page-fetching")))}
        {Suspend::new(SendWrapper::new(view))}
    }
    .into_any()
}

/// `/devices/<id>/<page>`; `/devices/<id>` leads to the kind's landing page.
#[component]
fn PageRoute() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let route = current_route();
    let page = Memo::new(move |_| route.with(|r| r.page().map(str::to_owned)));
    move || match page.get() {
        None => {
            redirect(location, page_href(&session.id(), session.profile.home()));
            ().into_any()
        }
        Some(slug) => fetched(page_view(session.profile.kind, slug)),
    }
}
