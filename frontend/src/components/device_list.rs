//! The relay's inventory as a list: each device with its trust, who is signed in there, its
//! countdown, and whether it needs a password or is rate limited; the access-key prompt when
//! the relay wants one; "Add device" where the relay admits devices by URL.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::{profile, profiles};
use shared::session::{Phase, Urgency, format_countdown};
use shared::wire::{DeviceKind, DeviceSummary, TrustSummary};

use crate::api;
use crate::components::say::{Tone, say};
use crate::platform::location::use_location;
use crate::session::{Sessions, use_sessions};
use crate::url::{Route, page_href};

#[component]
pub fn DeviceList() -> impl IntoView {
    let sessions = use_sessions();
    let location = use_location();
    let selected = Memo::new(move |_| {
        location.with(|path| Route::of(path).device().unwrap_or_default().to_owned())
    });
    move || {
        if let Some(err) = sessions.inventory_error.get() {
            return if err.needs_access_key() {
                view! { <AccessKeyForm message=err.to_string() /> }.into_any()
            } else {
                say(Tone::Error, err.to_string(), None)
            };
        }
        if !sessions.loaded.get() {
            return say(Tone::Muted, "Loading inventory…".into(), None);
        }
        let devices = sessions.devices.get();
        view! {
            {devices.is_empty().then(|| view! {
                <p class="muted">"The relay's inventory is empty. Add devices to its configuration."</p>
            })}
            <ul class="devices">
                {devices.into_iter().map(|device| view! { <DeviceItem device selected /> }).collect_view()}
            </ul>
            {move || sessions.info.with(|i| i.ad_hoc).then(|| view! { <AddDevice /> })}
        }
        .into_any()
    }
}

#[component]
fn DeviceItem(device: DeviceSummary, selected: Memo<String>) -> impl IntoView {
    let sessions = use_sessions();
    let (trust, trust_class, title) = match &device.trust {
        TrustSummary::Ca if device.tofu => (
            "not pinned",
            "trust tofu",
            "You may check and pin this device's certificate (trust on first use)".to_string(),
        ),
        TrustSummary::Pin { fingerprint } => (
            "pinned",
            "trust pinned",
            format!("Certificate pinned: {fingerprint}"),
        ),
        TrustSummary::Ca => (
            "CA",
            "trust ca",
            "Certificate verified against a CA".to_string(),
        ),
        TrustSummary::Insecure => (
            "INSECURE",
            "trust insecure",
            "Certificate checks are OFF for this device".to_string(),
        ),
    };
    let id = device.id.clone();
    let href = page_href(&id, profile(device.kind).home());
    let is_selected = {
        let id = id.clone();
        move || selected.with(|s| *s == id)
    };
    let status = move || status_of(sessions, &id);
    view! {
        <li>
            <a class="device" class:selected=is_selected href=href data-device=device.id.clone()>
                <span class="device-name">{device.name.clone()}</span>
                <span class="device-meta">
                    {profile(device.kind).label}
                    <span class=trust_class title=title>{trust}</span>
                </span>
                <span class="device-url">{device.base_url.clone()}</span>
                {move || status().map(|(text, class)| view! {
                    <span class=format!("device-status {class}")>{text}</span>
                })}
            </a>
        </li>
    }
}

/// What the list says of a device's session: who, how long, or what it needs.
fn status_of(sessions: Sessions, id: &str) -> Option<(String, &'static str)> {
    sessions.hub.now.track();
    let session = sessions.existing(id)?;
    if session.held_until.get().is_some() {
        return Some(("rate limited".into(), "warn"));
    }
    let now = session.device_now();
    let (phase, lease, user, urgency) = session.machine.with(|m| {
        (
            m.phase.clone(),
            m.access.clone(),
            m.user.clone(),
            m.urgency(now),
        )
    });
    let text = |what: String| Some((what, "muted"));
    match phase {
        Phase::SignedOut => None,
        Phase::NeedsPassword(_) => Some(("needs password".into(), "bad")),
        Phase::LoggingIn(_) => text(format!("{user} · signing in…")),
        Phase::Active | Phase::Renewing(_) => {
            let lease = lease?;
            let class = match urgency? {
                Urgency::Fresh => "fresh",
                Urgency::Soon => "soon",
                Urgency::Critical | Urgency::Expired => "critical",
            };
            let queued = session.queued.get();
            let queue = if queued > 0 {
                format!(" · {queued} queued")
            } else {
                String::new()
            };
            Some((
                format!(
                    "{user} · {}{queue}",
                    format_countdown(lease.remaining_secs(now))
                ),
                class,
            ))
        }
    }
}

/// The relay asks for its access key (it serves more than this machine): enter it once per tab.
#[component]
fn AccessKeyForm(message: String) -> impl IntoView {
    let sessions = use_sessions();
    let key = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        api::set_access_key(key.get_untracked().trim());
        sessions.reload();
    };
    view! {
        <form class="access-key" on:submit=submit>
            <p class="notice" role="alert">{message}</p>
            <label for="access-key">"Relay access key"</label>
            <input id="access-key" type="password" autocomplete="off" required bind:value=key />
            <p class="hint">"Ask the operator of this Tokendeck for it. It is kept in this tab only."</p>
            <button class="primary" id="access-key-save" type="submit">"Continue"</button>
        </form>
    }
}

/// A device the user types in, admitted only if the relay's operator allows its address.
#[component]
fn AddDevice() -> impl IntoView {
    let sessions = use_sessions();
    let location = use_location();
    let open = RwSignal::new(false);
    let first = DeviceKind::ALL[0];
    let kind = RwSignal::new(first.name().to_string());
    let url = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let kind = DeviceKind::from_name(&kind.get_untracked()).unwrap_or(first);
        busy.set(true);
        let url = url.get_untracked();
        spawn_local(async move {
            let result = api::add_device(kind, &url).await;
            busy.set(false);
            match result {
                Ok(device) => {
                    error.set(None);
                    open.set(false);
                    let href = page_href(&device.id, profile(device.kind).home());
                    sessions.add_ad_hoc(device);
                    location.navigate(&href, false);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <button class="secondary small" id="add-device-open" on:click=move |_| open.update(|o| *o = !*o)>
            "Add device…"
        </button>
        {move || open.get().then(|| view! {
            <form class="add-device" id="add-device" on:submit=submit>
                <label for="add-device-kind">"Kind"</label>
                <select id="add-device-kind" bind:value=kind>
                    {profiles().map(|p| view! { <option value=p.kind.name()>{p.label}</option> }).collect_view()}
                </select>
                <label for="add-device-url">"Address"</label>
                <input id="add-device-url" type="text" placeholder="https://10.1.1.5 or https://device1.lab:8443"
                    required bind:value=url />
                <p class="hint">"The relay admits only the hosts and networks its operator allows."</p>
                <button class="primary" type="submit" id="add-device-go" disabled=move || busy.get()>"Add"</button>
                {move || error.get().map(|e| view! { <p class="error" role="alert" id="add-device-error">{e}</p> })}
            </form>
        })}
    }
}
