//! Trust in the browser: when the relay does not trust a device's certificate (yet), show the
//! certificate it presents — subject, issuer, validity, names, the SHA-256 of the certificate and
//! of its public key — and how to read the fingerprint on the device; offer "Pin this
//! certificate" where the relay lets users pin this device (never over an operator's CA or pin).
//! On a pin mismatch show both fingerprints and who can fix it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::OPENSSL_FINGERPRINT;
use shared::wire::{CertificateProbe, RelayErrorCode, TrustSummary, openssl_style};

use crate::api;
use crate::components::data_table::Facts;
use crate::components::say::{Tone, outcome, say};
use crate::session::{LoginProblem, use_session, use_sessions};

#[component]
pub fn TrustPanel() -> impl IntoView {
    let session = use_session();
    let sessions = use_sessions();
    let device = session.device.get_untracked();
    let (code, message) = match session.login_problem.get_untracked() {
        Some(LoginProblem::Trust(body)) => (body.code, body.message),
        _ => (RelayErrorCode::UntrustedCertificate, String::new()),
    };
    let mismatch = code == RelayErrorCode::PinMismatch;
    let id = device.id.clone();
    let probe = RwSignal::new(None::<Result<CertificateProbe, String>>);
    spawn_local(async move {
        probe.set(Some(api::probe(&id).await.map_err(|e| e.to_string())));
    });
    let pinned = RwSignal::new(None::<Result<String, String>>);
    let pin = Callback::new(move |fingerprint: String| {
        let id = session.id();
        spawn_local(async move {
            match api::trust(&id, &fingerprint).await {
                Ok(device) => {
                    sessions.replace(device);
                    if !session.retry_after_trust() {
                        pinned.set(Some(Ok("Pinned. Log in again.".into())));
                    }
                }
                Err(err) => pinned.set(Some(Err(err.to_string()))),
            }
        });
    });
    let host = device
        .base_url
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_owned();
    let openssl = OPENSSL_FINGERPRINT.replace(
        "HOST:PORT",
        &if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:443")
        },
    );
    let title = if mismatch {
        format!("The certificate of {} has changed", device.name)
    } else {
        format!("{} is not trusted yet", device.name)
    };

    view! {
        <section class="card trust" id="trust-panel">
            <h1>{title}</h1>
            <p class="notice" role="alert" id="trust-reason">{message}</p>
            {move || match probe.get() {
                None => say(Tone::Muted, "Asking the relay what the device presents…".into(), None),
                Some(Err(err)) => say(Tone::Error, err, None),
                Some(Ok(probe)) => view! { <ProbeView probe mismatch pin /> }.into_any(),
            }}
            <h3>"Check the fingerprint on the device"</h3>
            <p class="hint">{session.profile.fingerprint_hint}</p>
            <pre class="curl">{openssl}</pre>
            {move || pinned.get().map(|o| outcome(o, ("trust-done", "trust-error")))}
            <button class="secondary" id="trust-back" on:click=move |_| { session.login_problem.set(None); }>
                "Back to the login form"
            </button>
        </section>
    }
}

#[component]
fn ProbeView(probe: CertificateProbe, mismatch: bool, pin: Callback<String>) -> impl IntoView {
    let pinned = match &probe.trust {
        TrustSummary::Pin { fingerprint } => Some(openssl_style(fingerprint)),
        _ => None,
    };
    let mut facts = vec![
        ("Subject", probe.subject.clone()),
        ("Issuer", probe.issuer.clone()),
        ("Valid from", probe.not_before.clone()),
        ("Valid until", probe.not_after.clone()),
        ("Names", probe.subject_alt_names.join(", ")),
        (
            "SHA-256 (certificate)",
            openssl_style(&probe.sha256_certificate),
        ),
        (
            "SHA-256 (public key)",
            openssl_style(&probe.sha256_public_key),
        ),
    ];
    if let Some(pinned) = &pinned {
        facts.insert(0, ("Pinned by the relay", pinned.clone()));
    }
    let fingerprint = probe.sha256_certificate.clone();
    let advice = match (mismatch || probe.matches_pin == Some(false), probe.can_pin) {
        (true, _) => {
            "The relay refuses the device until its pin is fixed. If the device's certificate was replaced on purpose, check the new fingerprint on the device (below), then ask the operator of this Tokendeck to replace the pin: a pin cannot be replaced from the browser. If nobody replaced it, treat this as an attack."
        }
        (false, true) => {
            "Compare the SHA-256 above with what the device itself shows (below). Pin the certificate only if they are equal: from then on the relay trusts exactly this certificate for this device, for every user of this Tokendeck."
        }
        (false, false) => {
            "This relay does not let users pin this device's certificate (its operator manages trust for it). Send the fingerprint above to the operator, who can add it to the relay's configuration."
        }
    };
    view! {
        <Facts rows=facts id="certificate" />
        <p class="hint" id="trust-advice">{advice}</p>
        {(probe.can_pin && !mismatch && probe.matches_pin != Some(false)).then(|| view! {
            <button class="primary" id="pin-certificate" on:click=move |_| pin.run(fingerprint.clone())>
                "Pin this certificate"
            </button>
        })}
    }
}
