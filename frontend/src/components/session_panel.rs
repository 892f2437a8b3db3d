//! Always-visible session summary: device, user, the token and how long it has left (and the
//! refresh token's end where the kind has one), what auto-renew will do and when, the user's
//! token count where the device limits it, the scope where the kind has one, and the renewal
//! settings. Times are the device's clock as the device shows it.

use leptos::prelude::*;
use shared::session::{
    RenewalSettings, Urgency, auto_margin_secs, describe_renewal, format_countdown,
    format_hours_minutes,
};

use crate::components::copy_button::CopyButton;
use crate::platform::clock::utc_offset_minutes;
use crate::session::{DeviceSession, choose_scope, use_session};

fn urgency_class(urgency: Option<Urgency>) -> &'static str {
    match urgency {
        Some(Urgency::Fresh) => "countdown fresh",
        Some(Urgency::Soon) => "countdown soon",
        Some(Urgency::Critical) => "countdown critical",
        Some(Urgency::Expired) | None => "countdown expired",
    }
}

#[component]
pub fn SessionPanel() -> impl IntoView {
    let session = use_session();
    let lease = move || session.machine.with(|m| m.access.clone());
    let refresh = move || session.machine.with(|m| m.refresh.clone());
    let countdown = move || {
        let now = session.device_now();
        match lease() {
            None => "no token".to_string(),
            Some(l) if l.remaining_secs(now) == 0 => "expired".to_string(),
            // A `Date` header is second-exact: never show more than the token's lifetime.
            Some(l) => format_countdown(l.remaining_secs(now).min(l.timeout_secs)),
        }
    };
    let plan = move || {
        let now = session.device_now();
        session
            .machine
            .with(|m| describe_renewal(m, now, utc_offset_minutes()))
    };
    let revealed = RwSignal::new(false);
    let show_settings = RwSignal::new(false);
    let identity = move || session.identity.get();
    let has_refresh = move || session.machine.with(|m| m.refresh.is_some());
    let limited = session.profile.token_limit.is_some();
    let speed = move || {
        session.hub().now.track();
        let rate = session.clock_rate_permille();
        (rate != 1000).then(|| {
            format!(
                "The device's clock runs about {}× real time.",
                (rate + 500) / 1000
            )
        })
    };

    view! {
        <section class="card session" aria-label="Session">
            <div class="session-grid">
                <div><span class="label">"Device"</span><span>{move || session.device.with(|d| d.name.clone())}</span></div>
                <div><span class="label">"User"</span>
                    <span id="session-user">{move || identity().map(|i| i.username).unwrap_or_default()}</span></div>
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
                <div><span class="label">"Lifetime"</span>
                    <span id="session-timeout">{move || lease().map(|l| format!("{} s", l.timeout_secs)).unwrap_or_default()}</span></div>
                <div>
                    <span class="label">"Expires in"</span>
                    <span id="countdown" class=move || { let now = session.device_now(); urgency_class(session.machine.with(|m| m.urgency(now))) }>{countdown}</span>
                </div>
                {move || has_refresh().then(|| view! {
                    <div>
                        <span class="label">"Refresh token"</span>
                        <span id="refresh-countdown" class=move || { let now = session.device_now(); urgency_class(refresh().map(|r| r.urgency(now))) }>
                            {move || refresh().map(|r| format_hours_minutes(r.remaining_secs(session.device_now()))).unwrap_or_default()}
                        </span>
                    </div>
                })}
                {limited.then(|| view! {
                    <div>
                        <span class="label">"Tokens held"</span>
                        <span id="token-quota" title="Counted from the device's token list each time it is read"
                            class:warn=move || session.quota.with(|q| q.as_ref().is_some_and(|q| q.near_limit()))>
                            {move || session.quota.get().map(|q| q.label()).unwrap_or_else(|| "not counted yet".into())}
                        </span>
                    </div>
                })}
                <ScopePicker session />
            </div>
            <div class="session-actions">
                <button id="logout" class="secondary" on:click=move |_| session.logout()>"Log out"</button>
            </div>
            <p class="renewal" id="renewal-plan">
                <span class="label">"Auto-renew"</span> " " {plan}
                <button class="link" on:click=move |_| show_settings.update(|s| *s = !*s)>
                    {move || if show_settings.get() { "hide settings" } else { "settings" }}
                </button>
            </p>
            {move || speed().map(|s| view! { <p class="hint" id="clock-speed">{s}</p> })}
            {move || session.notices.get().last().cloned().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {move || show_settings.get().then(|| view! { <RenewalSettingsForm /> })}
        </section>
    }
}

/// Where the kind has scopes (an FMC's domains): the one calls go to, the user's own by default.
#[component]
fn ScopePicker(session: DeviceSession) -> impl IntoView {
    let label = session.profile.scope.map_or("Scope", |s| s.label);
    let chosen = RwSignal::new(session.scope_id().unwrap_or_default());
    Effect::new(move |_| {
        let id = chosen.get();
        if !id.is_empty() && session.scope.get_untracked().as_deref() != Some(id.as_str()) {
            choose_scope(session, id);
        }
    });
    move || {
        let scopes = session.scopes.get();
        (!scopes.is_empty()).then(|| {
            view! {
                <div>
                    <label class="label" for="domain-picker">{label}</label>
                    <select id="domain-picker" bind:value=chosen>
                        {scopes.into_iter().map(|s| view! { <option value=s.id>{s.name}</option> }).collect_view()}
                    </select>
                </div>
            }
        })
    }
}

/// Margin, strategy and "stay signed in", saved in local storage (no secrets).
#[component]
fn RenewalSettingsForm() -> impl IntoView {
    let session = use_session();
    let rules = session.profile.rules;
    let lifetime = session.machine.with_untracked(|m| m.granted_secs);
    let current = session.machine.with_untracked(|m| m.settings.clone());
    let margin = RwSignal::new(
        current
            .margin_secs
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let strategy = RwSignal::new(current.strategy_for(&rules));
    let stay = RwSignal::new(current.stay_signed_in);
    let error = RwSignal::new(None::<String>);
    let save = move |_| {
        let margin_secs = match RenewalSettings::parse_margin(&margin.get_untracked()) {
            Ok(margin) => margin,
            Err(err) => {
                error.set(Some(err.to_string()));
                return;
            }
        };
        error.set(None);
        session.change_settings(RenewalSettings {
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
                {rules.choices().into_iter().map(|choice| view! {
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
