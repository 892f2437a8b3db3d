//! Username, password and login provider for one device; also the re-login prompt when the
//! lifecycle machine needs the password again.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::lifecycle::{LoginPurpose, PasswordReason, Phase};
use shared::wire::{DeviceKind, DeviceSummary};

use crate::console::use_console;
use crate::storage;

#[component]
pub fn LoginForm(device: DeviceSummary) -> impl IntoView {
    let console = use_console();
    let remembered = console
        .identity
        .get_untracked()
        .map(|i| i.username)
        .or_else(|| storage::remembered_username(&device.id))
        .unwrap_or_default();
    let username = RwSignal::new(remembered);
    let password = RwSignal::new(String::new());
    let provider = RwSignal::new(device.kind.default_login_provider().to_owned());
    let supported = device.kind == DeviceKind::Bigip;
    let stay_signed_in = RwSignal::new(
        console
            .machine
            .with_untracked(|m| m.settings.stay_signed_in),
    );

    let pending = move || {
        console
            .machine
            .with(|m| matches!(m.phase, Phase::LoggingIn(_)))
    };
    let reason = move || {
        console.machine.with(|m| match &m.phase {
            Phase::NeedsPassword(reason) if *reason != PasswordReason::SignIn => {
                Some(reason.explain())
            }
            _ => None,
        })
    };
    let error = move || console.login_error.get();

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut settings = console.machine.with_untracked(|m| m.settings.clone());
        if settings.stay_signed_in != stay_signed_in.get_untracked() {
            settings.stay_signed_in = stay_signed_in.get_untracked();
            console.change_settings(settings);
        }
        console.sign_in(
            username.get_untracked().trim().to_owned(),
            password.get_untracked(),
            provider.get_untracked().trim().to_owned(),
        );
    };
    // The password leaves the form as soon as a login succeeds.
    Effect::new(move |_| {
        if console.machine.with(|m| m.phase == Phase::Active) {
            password.set(String::new());
        }
    });
    let signing_in = move || {
        console
            .machine
            .with(|m| m.phase == Phase::LoggingIn(LoginPurpose::SignIn))
    };

    view! {
        <section class="card login">
            <h1>"Log in to " {device.name.clone()}</h1>
            <p class="muted">{device.kind.label()} " at " <code>{device.base_url.clone()}</code></p>
            {move || reason().map(|r| view! { <p class="notice" id="login-reason">{r}</p> })}
            {(!supported).then(|| view! {
                <p class="notice" id="unsupported">
                    "The console manages BIG-IP tokens so far. This device is reachable through the relay all the same, for example: "
                    <code>{format!("curl -X POST http://{}/api/devices/{}/fwd/{}", web_sys::window().and_then(|w| w.location().host().ok()).unwrap_or_default(), device.id, match device.kind { DeviceKind::Fmc => "api/fmc_platform/v1/auth/generatetoken -u admin:admin", _ => "mgmt/shared/authn/login -d '{\"username\":\"admin\",\"password\":\"admin\"}'" })}</code>
                </p>
            })}
            <form on:submit=on_submit>
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required
                    bind:value=username />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    bind:value=password />
                <label for="provider">"Login provider"</label>
                <input id="provider" name="provider" type="text" bind:value=provider />
                <p class="hint">"tmos for local users; the name of an LDAP, RADIUS or TACACS+ provider for remote ones."</p>
                <label class="check">
                    <input id="stay-signed-in" type="checkbox" bind:checked=stay_signed_in />
                    "Stay signed in: keep the password in this tab's memory to log in again when the device drops the token"
                </label>
                <button id="login" type="submit" class="primary" disabled=move || pending() || !supported>
                    {move || if signing_in() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            {move || error().map(|err| view! {
                <p class="error" role="alert" id="login-error">{err}</p>
            })}
            <p class="hint">"The password goes to the device once, through the relay, and is never written to disk."</p>
        </section>
    }
}
