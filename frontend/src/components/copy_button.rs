//! A button that copies text to the clipboard and says so.

use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CopyButton(text: Signal<String>, label: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let value = text.get_untracked();
        spawn_local(async move {
            let Some(window) = web_sys::window() else {
                return;
            };
            let promise = window.navigator().clipboard().write_text(&value);
            let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            copied.set(ok);
        });
    };
    view! {
        <button class="link" on:click=copy>
            {move || if copied.get() { "copied" } else { label }}
        </button>
    }
}
