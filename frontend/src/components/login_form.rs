//! Username, password and login provider for one device.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::bigip::LoginRequest;
use shared::device::{DeviceKind, DeviceSummary};
use shared::lease::TokenLease;

use crate::api::{self, ApiError};
use crate::session::{Session, now_micros};

#[component]
pub fn LoginForm(device: DeviceSummary, session: RwSignal<Option<Session>>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let provider = RwSignal::new(device.kind.default_login_provider().to_owned());
    let supported = device.kind == DeviceKind::Bigip;

    let login_device = device.clone();
    let login = Action::new_local(move |request: &LoginRequest| {
        let device = login_device.clone();
        let request = request.clone();
        async move {
            let reply = api::bigip_login(&device.id, &request).await?;
            let lease = TokenLease::from_token(&reply.token, now_micros());
            Ok::<_, ApiError>(Session {
                device,
                username: request.username,
                provider: request.login_provider_name,
                lease,
            })
        }
    });

    Effect::new(move |_| {
        if let Some(Ok(new_session)) = login.value().get() {
            password.set(String::new());
            session.set(Some(new_session));
        }
    });

    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        login.dispatch(LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            login_provider_name: provider.get_untracked().trim().to_owned(),
        });
    };
    let pending = login.pending();
    let error = move || login.value().get().and_then(Result::err);

    view! {
        <section class="card login">
            <h1>"Log in to " {device.name.clone()}</h1>
            <p class="muted">{device.kind.label()} " at " <code>{device.base_url.clone()}</code></p>
            {(!supported).then(|| view! {
                <p class="notice">"Logging in to this kind of device is not available in the console yet."</p>
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
                <button id="login" type="submit" class="primary" disabled=move || pending.get() || !supported>
                    {move || if pending.get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            {move || error().map(|err| view! {
                <p class="error" role="alert" id="login-error">{err.to_string()}</p>
            })}
            <p class="hint">"The password is sent once, through the relay, and kept only in this tab's memory."</p>
        </section>
    }
}
