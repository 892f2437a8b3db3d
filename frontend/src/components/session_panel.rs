//! Always-visible session summary: device, user, the token and how long it has left, what
//! auto-renew will do and when, the user's token count, and the renewal settings.

use leptos::prelude::*;
use shared::lease::{Urgency, format_countdown};
use shared::lifecycle::{RenewalSettings, RenewalStrategy, auto_margin_secs, describe_renewal};

use crate::clock::utc_offset_minutes;
use crate::components::copy_button::CopyButton;
use crate::console::use_console;

#[component]
pub fn SessionPanel() -> impl IntoView {
    let console = use_console();
    let lease = move || console.machine.with(|m| m.access.clone());
    let remaining = move || {
        lease()
            .map(|l| l.remaining_secs(console.now.get()))
            .unwrap_or(0)
    };
    let urgency_class = move || match lease().map(|l| l.urgency(console.now.get())) {
        Some(Urgency::Fresh) => "countdown fresh",
        Some(Urgency::Soon) => "countdown soon",
        Some(Urgency::Critical) => "countdown critical",
        Some(Urgency::Expired) | None => "countdown expired",
    };
    let plan = move || {
        let now = console.now.get();
        console
            .machine
            .with(|m| describe_renewal(m, now, utc_offset_minutes()))
    };
    let revealed = RwSignal::new(false);
    let show_settings = RwSignal::new(false);
    let device_name = move || {
        console
            .device
            .with(|d| d.as_ref().map(|d| d.name.clone()).unwrap_or_default())
    };
    let identity = move || console.identity.get();

    view! {
        <section class="card session" aria-label="Session">
            <div class="session-grid">
                <div><span class="label">"Device"</span><span>{device_name}</span></div>
                <div><span class="label">"User"</span>
                    <span id="session-user">{move || identity().map(|i| i.username).unwrap_or_default()}</span></div>
                <div><span class="label">"Provider"</span>
                    <span>{move || identity().map(|i| i.provider).unwrap_or_default()}</span></div>
                <div>
                    <span class="label">"Token"</span>
                    <span class="token-line">
                        <code id="session-token">{move || lease().map(|l| if revealed.get() { l.token.clone() } else { l.masked() }).unwrap_or_else(|| "none".into())}</code>
                        <button class="link" on:click=move |_| revealed.update(|r| *r = !*r)>
                            {move || if revealed.get() { "hide" } else { "show" }}
                        </button>
                        <CopyButton text=Signal::derive(move || lease().map(|l| l.token).unwrap_or_default()) label="copy" />
                    </span>
                </div>
                <div><span class="label">"Timeout"</span>
                    <span id="session-timeout">{move || lease().map(|l| format!("{} s", l.timeout_secs)).unwrap_or_default()}</span></div>
                <div>
                    <span class="label">"Expires in"</span>
                    <span id="countdown" class=urgency_class>
                        {move || match (lease().is_some(), remaining()) {
                            (false, _) => "no token".to_string(),
                            (true, 0) => "expired".to_string(),
                            (true, secs) => format_countdown(secs),
                        }}
                    </span>
                </div>
                <div>
                    <span class="label">"Tokens held"</span>
                    <span id="token-quota" class:warn=move || console.quota.with(|q| q.as_ref().is_some_and(|q| q.near_limit()))>
                        {move || console.quota.get().map(|q| q.label()).unwrap_or_else(|| "…".into())}
                    </span>
                </div>
            </div>
            <div class="session-actions">
                <button id="logout" class="secondary" on:click=move |_| console.logout()>"Log out"</button>
            </div>
            <p class="renewal" id="renewal-plan">
                <span class="label">"Auto-renew"</span> " " {plan}
                <button class="link" on:click=move |_| show_settings.update(|s| *s = !*s)>
                    {move || if show_settings.get() { "hide settings" } else { "settings" }}
                </button>
            </p>
            {move || console.notices.get().last().cloned().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <Show when=move || show_settings.get()>
                <RenewalSettingsForm />
            </Show>
        </section>
    }
}

/// Margin, strategy and "stay signed in", saved in local storage (no secrets).
#[component]
fn RenewalSettingsForm() -> impl IntoView {
    let console = use_console();
    let kind = console.machine.with_untracked(|m| m.kind);
    let lifetime = console.machine.with_untracked(|m| m.granted_secs);
    let current = console.machine.with_untracked(|m| m.settings.clone());
    let margin = RwSignal::new(
        current
            .margin_secs
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let strategy = RwSignal::new(current.strategy_for(kind));
    let stay = RwSignal::new(current.stay_signed_in);
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let text = margin.get_untracked();
        let margin_secs = match text.trim() {
            "" => None,
            t => match t.parse::<u64>() {
                Ok(n) if n >= 10 => Some(n),
                _ => {
                    error.set(Some("The margin is a whole number of seconds, at least 10 (or empty for automatic).".into()));
                    return;
                }
            },
        };
        error.set(None);
        console.change_settings(RenewalSettings {
            margin_secs,
            strategy: Some(strategy.get_untracked()),
            stay_signed_in: stay.get_untracked(),
        });
    };
    view! {
        <div class="settings">
            <label for="renew-margin">"Renew this many seconds before expiry"</label>
            <input id="renew-margin" type="text" inputmode="numeric"
                placeholder=format!("automatic ({} s)", auto_margin_secs(lifetime.max(1)))
                bind:value=margin />
            <fieldset>
                <legend>"How to renew"</legend>
                {RenewalStrategy::choices(kind).into_iter().map(|choice| view! {
                    <label class="check">
                        <input type="radio" name="strategy"
                            prop:checked=move || strategy.get() == choice
                            on:change=move |_| strategy.set(choice) />
                        {choice.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="check">
                <input type="checkbox" bind:checked=stay />
                "Stay signed in (keep the password in memory for automatic logins)"
            </label>
            <button class="secondary" on:click=save>"Save settings"</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}
