//! The address bar as a signal. [`Location::navigate`] pushes (or replaces) a path; Back and
//! Forward, and clicks on the app's own links, move it without loading a page. What the URL
//! shows is derived from it (`routes.rs`); nothing else reads `window.location`.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// The path shown in the address bar; `Copy`, provided as context by the app.
#[derive(Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
}

fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".into())
}

impl Location {
    /// Follow the address bar from now on: Back/Forward, and clicks on links within the app.
    pub fn start() -> Self {
        let location = Self {
            path: RwSignal::new(current_path()),
        };
        if let Some(window) = web_sys::window() {
            let on_pop = Closure::<dyn Fn()>::new(move || location.path.set(current_path()));
            let _ = window
                .add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
            on_pop.forget();
            let on_click =
                Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev| location.follow(ev));
            let _ =
                window.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
            on_click.forget();
        }
        location
    }

    /// Read the path (tracked).
    pub fn with<R>(self, f: impl FnOnce(&str) -> R) -> R {
        self.path.with(|path| f(path))
    }

    /// Read the path (untracked).
    pub fn with_untracked<R>(self, f: impl FnOnce(&str) -> R) -> R {
        self.path.with_untracked(|path| f(path))
    }

    /// Show `to` (a path within the app): a new history entry, or in place of this one.
    pub fn navigate(self, to: &str, replace: bool) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(history) = window.history() {
            let _ = if replace {
                history.replace_state_with_url(&JsValue::NULL, "", Some(to))
            } else {
                history.push_state_with_url(&JsValue::NULL, "", Some(to))
            };
        }
        if !replace {
            window.scroll_to_with_x_and_y(0.0, 0.0);
        }
        self.path.set(current_path());
    }

    /// A plain click on a link to a path of the app (`href="/…"`, no `target` or `download`)
    /// moves the page in place; everything else is left to the browser.
    fn follow(self, ev: web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
        else {
            return;
        };
        if link.has_attribute("target") || link.has_attribute("download") {
            return;
        }
        let Some(href) = link.get_attribute("href") else {
            return;
        };
        if href.starts_with('/') && !href.starts_with("//") {
            ev.prevent_default();
            self.navigate(&href, false);
        }
    }
}

/// The location from context (provided by `App`).
pub fn use_location() -> Location {
    expect_context::<Location>()
}
