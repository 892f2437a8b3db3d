//! One loader for every page that reads something from its device: the page names its request
//! and how to show the reply; this sends it through the session (401 recovery, pacing, Activity)
//! and shows "reading…", the error, or the page. Deliberately not generic — one copy in the
//! bundle, however many pages use it — and without async resources, whose machinery costs
//! bundle size for each one.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::{Call, Reply};

use crate::api::ApiError;
use crate::components::say::{Tone, say};
use crate::session::use_session;

/// Read `request` (again whenever it or `reload` changes; `None` waits) and show the reply
/// with `render`, or say why it could not be read. While a new reply is on its way the last one
/// stays on screen and `pending` is set.
#[component]
pub fn Loaded(
    request: Signal<Option<Call>>,
    render: Callback<Reply, AnyView>,
    #[prop(optional)] reload: Option<RwSignal<u32>>,
    #[prop(optional)] pending: Option<RwSignal<bool>>,
    #[prop(optional)] waiting: Option<&'static str>,
) -> impl IntoView {
    let session = use_session();
    let state = RwSignal::new(None::<Result<Reply, ApiError>>);
    let latest = StoredValue::new(0u64);
    Effect::new(move |_| {
        if let Some(reload) = reload {
            reload.track();
        }
        let Some(call) = request.get() else {
            return;
        };
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        if let Some(pending) = pending {
            pending.set(true);
        }
        spawn_local(async move {
            let result = session.call(call).await;
            // Only the newest request's answer is shown.
            if latest.get_value() == ticket {
                state.set(Some(result));
                if let Some(pending) = pending {
                    pending.set(false);
                }
            }
        });
    });
    move || match state.get() {
        None => say(Tone::Muted, waiting.unwrap_or("Reading…").into(), None),
        Some(Err(err)) => say(Tone::Error, err.to_string(), None),
        Some(Ok(reply)) => render.run(reply),
    }
}

/// Turn a reader's failure into the page's error text.
pub fn unexpected(err: impl ToString) -> AnyView {
    say(Tone::Error, err.to_string(), None)
}
