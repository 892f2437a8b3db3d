//! Username, password and (where the kind has one) login provider for one device; also the
//! prompt when the lifecycle machine needs the password again (`overlay`).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::devices::Credentials;
use shared::session::{LoginPurpose, PasswordReason, Phase};

use crate::session::{LoginProblem, login_hint, use_session};

#[component]
pub fn LoginForm(overlay: bool) -> impl IntoView {
    let session = use_session();
    let device = session.device.get_untracked();
    let field = session.profile.provider;
    let (remembered_user, remembered_provider) = login_hint(session);
    let username = RwSignal::new(remembered_user);
    let password = RwSignal::new(String::new());
    let provider = RwSignal::new(remembered_provider.unwrap_or_else(|| field.default.to_owned()));
    let stay_signed_in = RwSignal::new(
        session
            .machine
            .with_untracked(|m| m.settings.stay_signed_in),
    );

    let pending = move || {
        session
            .machine
            .with(|m| matches!(m.phase, Phase::LoggingIn(_)))
    };
    let reason = move || {
        session.machine.with(|m| match &m.phase {
            Phase::NeedsPassword(reason) if *reason != PasswordReason::SignIn => {
                Some(reason.explain())
            }
            _ => None,
        })
    };
    let taken_over = move || {
        session.machine.with(|m| {
            matches!(
                m.phase,
                Phase::NeedsPassword(PasswordReason::SessionTakenOver { .. })
            )
        })
    };
    let problem = move || match session.login_problem.get() {
        Some(LoginProblem::Message(text)) if !overlay => Some(text),
        _ => None,
    };

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut settings = session.machine.with_untracked(|m| m.settings.clone());
        if settings.stay_signed_in != stay_signed_in.get_untracked() {
            settings.stay_signed_in = stay_signed_in.get_untracked();
            session.change_settings(settings);
        }
        session.sign_in(Credentials {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            provider: provider.get_untracked().trim().to_owned(),
        });
        password.set(String::new());
    };
    let signing_in = move || {
        session
            .machine
            .with(|m| m.phase == Phase::LoggingIn(LoginPurpose::SignIn))
    };
    let title = if overlay {
        format!("Sign in to {} again", device.name)
    } else {
        format!("Log in to {}", device.name)
    };

    view! {
        <section class="card login">
            <h1>{title}</h1>
            <p class="muted">{session.profile.label} " at " <code>{device.base_url.clone()}</code></p>
            {move || reason().map(|r| view! { <p class="notice" id="login-reason">{r}</p> })}
            <form on:submit=on_submit>
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required
                    bind:value=username />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    bind:value=password />
                {field.label.map(|label| view! {
                    <label for="provider">{label}</label>
                    <input id="provider" name="provider" type="text" bind:value=provider />
                    <p class="hint">{field.hint}</p>
                })}
                <label class="check">
                    <input id="stay-signed-in" type="checkbox" bind:checked=stay_signed_in />
                    "Stay signed in: keep the password in this tab's memory to log in again when the device ends the session"
                </label>
                <div class="form-actions">
                    <button id="login" type="submit" class="primary" disabled=pending>
                        {move || match (signing_in(), taken_over()) {
                            (true, _) => "Logging in…",
                            (false, true) => "Log in again (ends the other session)",
                            (false, false) => "Log in",
                        }}
                    </button>
                    {overlay.then(|| view! {
                        <button type="button" class="secondary" id="login-cancel" on:click=move |_| session.logout()>
                            "Log out"
                        </button>
                    })}
                </div>
            </form>
            {move || problem().map(|err| view! {
                <p class="error" role="alert" id="login-error">{err}</p>
            })}
            <p class="hint">"The password goes to the device through the relay and is never written to disk."</p>
        </section>
    }
}
