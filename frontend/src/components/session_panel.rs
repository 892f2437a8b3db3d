//! Always-visible session summary: who, where, which token, and how long it has left.

use leptos::prelude::*;
use shared::lease::{Urgency, format_countdown};

use crate::api;
use crate::session::Session;

#[component]
pub fn SessionPanel(session: RwSignal<Option<Session>>, now: RwSignal<i64>) -> impl IntoView {
    let current = move || session.get();
    let remaining = move || {
        session
            .with(|s| s.as_ref().map(|s| s.lease.remaining_secs(now.get())))
            .unwrap_or(0)
    };
    let urgency = move || {
        session
            .with(|s| s.as_ref().map(|s| s.lease.urgency(now.get())))
            .unwrap_or(Urgency::Expired)
    };
    let urgency_class = move || match urgency() {
        Urgency::Fresh => "countdown fresh",
        Urgency::Soon => "countdown soon",
        Urgency::Critical => "countdown critical",
        Urgency::Expired => "countdown expired",
    };
    let revealed = RwSignal::new(false);

    let logout = Action::new_local(move |_: &()| {
        let held = session.get_untracked();
        async move {
            if let Some(held) = held {
                // Give the token back so it does not count against the user's limit of 100.
                if let Err(err) = api::bigip_delete_token(&held.device.id, &held.lease.token).await
                {
                    leptos::logging::warn!("could not delete the token on logout: {err}");
                }
            }
            session.set(None);
        }
    });

    view! {
        {move || current().map(|s| {
            let token = s.lease.token.clone();
            let masked = s.lease.masked();
            view! {
                <section class="card session" aria-label="Session">
                    <div class="session-grid">
                        <div><span class="label">"Device"</span><span>{s.device.name.clone()}</span></div>
                        <div><span class="label">"User"</span><span id="session-user">{s.username.clone()}</span></div>
                        <div><span class="label">"Provider"</span><span>{s.provider.clone()}</span></div>
                        <div>
                            <span class="label">"Token"</span>
                            <code id="session-token">{move || if revealed.get() { token.clone() } else { masked.clone() }}</code>
                            <button class="link" on:click=move |_| revealed.update(|r| *r = !*r)>
                                {move || if revealed.get() { "hide" } else { "show" }}
                            </button>
                        </div>
                        <div><span class="label">"Timeout"</span><span>{s.lease.timeout_secs} " s"</span></div>
                        <div>
                            <span class="label">"Expires in"</span>
                            <span id="countdown" class=urgency_class>
                                {move || if remaining() == 0 { "expired".to_string() } else { format_countdown(remaining()) }}
                            </span>
                        </div>
                    </div>
                    <button id="logout" class="secondary" on:click=move |_| { logout.dispatch(()); }
                        disabled=move || logout.pending().get()>
                        {move || if logout.pending().get() { "Logging out…" } else { "Log out" }}
                    </button>
                </section>
            }
        })}
    }
}
