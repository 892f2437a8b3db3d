//! Explorer, for every kind: send any request (method, path, query, JSON body) with the
//! session's token, see the answer as pretty JSON whose links to the same device open with a
//! click, the status and timing, and — for an error — the device's own body and message, or
//! the relay's. What was typed survives a page switch (it is kept with the device's session).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::Call;
use shared::devices::scope::name_in_path;
use shared::explorer::json::{Segment, pretty_segments};
use shared::explorer::{
    METHODS, Target, breadcrumbs, checked_body, method as method_of, sends_body, status_line,
    with_param,
};

use crate::api::ApiError;
use crate::components::say::{Tone, say};
use crate::platform::clock::now_ms;
use crate::session::{DeviceSession, use_session};

/// One request and what came back.
#[derive(Clone, Debug, PartialEq)]
struct Exchange {
    method: String,
    path: String,
    query: String,
    elapsed_ms: f64,
    outcome: Result<(u16, String), ApiError>,
}

/// Open `link` (a device link or a path) in the Explorer of this device: the Explorer page
/// sends it when it shows.
pub fn open_in_explorer(session: DeviceSession, link: &str) {
    let base = session.device.with_untracked(|d| d.base_url.clone());
    let target = Target::link(session.profile, &base, link);
    session.field("explorer.method", "GET").set("GET".into());
    session.field("explorer.path", "").set(target.path);
    session.field("explorer.query", "").set(target.query);
    session.field("explorer.go", "").set("1".into());
}

#[component]
pub fn ExplorerPage() -> impl IntoView {
    let session = use_session();
    let hints = session.profile.explorer;
    let roots = hints.roots;
    let method = session.field("explorer.method", "GET");
    let path = session.field("explorer.path", roots.first().copied().unwrap_or("/"));
    let query = session.field("explorer.query", "");
    let body = session.field("explorer.body", "");
    let go = session.field("explorer.go", "");
    let body_error = RwSignal::new(None::<String>);
    let exchange = RwSignal::new(None::<Exchange>);
    let sending = RwSignal::new(false);
    // Only the newest request's answer is shown.
    let latest = StoredValue::new(0u64);
    let base_url = session.device.with_untracked(|d| d.base_url.clone());

    let send = move || {
        let verb = method_of(&method.get_untracked());
        // A query pasted into the path (e.g. a whole device link) wins over the query field.
        let base = session.device.with_untracked(|d| d.base_url.clone());
        let target = Target::typed(
            session.profile,
            &base,
            session.scope_id().as_deref(),
            &path.get_untracked(),
            &query.get_untracked(),
        );
        path.set(target.path.clone());
        query.set(target.query.clone());
        let payload = if sends_body(verb) {
            match checked_body(&body.get_untracked()) {
                Ok(payload) => payload,
                Err(problem) => {
                    body_error.set(Some(problem));
                    return;
                }
            }
        } else {
            None
        };
        body_error.set(None);
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        sending.set(true);
        spawn_local(async move {
            let started = now_ms();
            let call = Call {
                method: verb,
                path: target.joined(),
                headers: Vec::new(),
                body: payload,
            };
            let result = session.call(call).await;
            let elapsed_ms = now_ms() - started;
            if latest.get_value() != ticket {
                return;
            }
            sending.set(false);
            exchange.set(Some(Exchange {
                method: verb.to_string(),
                path: target.path,
                query: target.query,
                elapsed_ms,
                outcome: result.map(|reply| (reply.status, reply.body)),
            }));
        });
    };
    // A link or breadcrumb: GET it.
    let open = Callback::new(move |(p, q): (String, String)| {
        method.set("GET".to_string());
        path.set(p);
        query.set(q);
        send();
    });
    if go.get_untracked() == "1" {
        go.set(String::new());
        send();
    }
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        send();
    };
    view! {
        <section class="card explorer">
            <div class="card-head">
                <h2>"Explorer"</h2>
                <span class="muted small">{format!("Requests go to {} with this session's token.", session.name())}</span>
            </div>
            <form class="request" id="explorer-form" on:submit=on_submit>
                <div class="request-line">
                    <label class="field method-field">
                        <span class="label">"Method"</span>
                        <select id="explorer-method" bind:value=method>
                            {METHODS.iter().map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field path-field">
                        <span class="label">"Path"</span>
                        <input type="text" id="explorer-path" bind:value=path spellcheck="false" autocomplete="off" />
                    </label>
                    <label class="field query-field">
                        <span class="label">"Query"</span>
                        <input type="text" id="explorer-query" bind:value=query spellcheck="false" autocomplete="off"
                            placeholder=hints.query_example />
                    </label>
                    <button type="submit" class="primary" id="explorer-send" disabled=move || sending.get()>
                        {move || if sending.get() { "Sending…" } else { "Send" }}
                    </button>
                </div>
                <div class="hints">
                    {(!hints.chips.is_empty()).then(|| view! { <span class="label">"Add to query"</span> })}
                    {hints.chips.iter().map(|&(name, value)| view! {
                        <button type="button" class="chip" id=format!("hint-{}", name.trim_start_matches('$'))
                            on:click=move |_| query.update(|q| *q = with_param(q, name, value))>
                            {format!("{name}={value}")}
                        </button>
                    }).collect_view()}
                    <span class="label">"Start at"</span>
                    {roots.iter().map(|start| {
                        let start: &'static str = start;
                        view! {
                            <button type="button" class="chip start" data-path=start
                                on:click=move |_| open.run((start.to_string(), String::new()))>
                                {start}
                            </button>
                        }
                    }).collect_view()}
                </div>
                <label class="field body-field">
                    <span class="label">"JSON body (sent with POST, PATCH and PUT)"</span>
                    <textarea id="explorer-body" rows="4" spellcheck="false" bind:value=body
                        aria-invalid=move || body_error.with(Option::is_some).to_string()></textarea>
                </label>
                {move || body_error.get().map(|e| view! { <p class="error" role="alert" id="explorer-body-error">{e}</p> })}
            </form>
            <div class="exchange" aria-live="polite">
                {move || match exchange.get() {
                    None => say(
                        Tone::Muted,
                        "Send a request to see the device's answer. Links in the answer open with a click.".into(),
                        Some("explorer-idle"),
                    ),
                    Some(done) => view! { <ExchangeView done open base_url=base_url.clone() /> }.into_any(),
                }}
            </div>
        </section>
    }
}

/// The answer's path as clickable steps: `/mgmt`, `/mgmt/tm`, `/mgmt/tm/sys`, ….
#[component]
fn Breadcrumbs(path: String, open: Callback<(String, String)>) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Path of this answer">
            {breadcrumbs(&path).into_iter().map(|(segment, target)| view! {
                <span class="sep">"/"</span>
                <a href="#" class="crumb" data-path=target.clone()
                    on:click=move |ev| { ev.prevent_default(); open.run((target.clone(), String::new())); }>
                    {segment}
                </a>
            }).collect_view()}
        </nav>
    }
}

/// A body as pretty JSON with links, or as text.
#[component]
fn BodyView(
    text: String,
    base_url: String,
    link_host: Option<&'static str>,
    open: Callback<(String, String)>,
) -> impl IntoView {
    if text.trim().is_empty() {
        return say(
            Tone::Muted,
            "(empty body)".into(),
            Some("explorer-response"),
        );
    }
    match pretty_segments(&text, &base_url, link_host) {
        Some(segments) => view! {
            <pre class="json" id="explorer-response">
                {segments.into_iter().map(|segment| match segment {
                    Segment::Text(text) => text.into_any(),
                    Segment::Link { text, path, query } => {
                        let title = if query.is_empty() { format!("GET {path}") } else { format!("GET {path}?{query}") };
                        view! {
                            <a href="#" class="json-link" data-path=path.clone() title=title
                                on:click=move |ev| { ev.prevent_default(); open.run((path.clone(), query.clone())); }>
                                {text}
                            </a>
                        }.into_any()
                    }
                }).collect_view()}
            </pre>
        }
        .into_any(),
        None => view! { <pre class="raw" id="explorer-response">{text}</pre> }.into_any(),
    }
}

#[component]
fn ExchangeView(
    done: Exchange,
    open: Callback<(String, String)>,
    base_url: String,
) -> impl IntoView {
    let session = use_session();
    let target = if done.query.is_empty() {
        done.path.clone()
    } else {
        format!("{}?{}", done.path, done.query)
    };
    let scope = session.profile.scope.and_then(|rule| {
        session.scopes.with_untracked(|scopes| {
            name_in_path(&rule, &done.path, scopes)
                .map(|name| format!("{} {name}", rule.label.to_ascii_lowercase()))
        })
    });
    let timing = format!("{} ms", done.elapsed_ms as u64);
    let (status, status_class, origin, origin_class) = match &done.outcome {
        Ok((status, _)) => (Some(*status), "ok", "from the device", "from-device"),
        Err(ApiError::Device { status, .. }) => {
            (Some(*status), "bad", "from the device", "from-device")
        }
        Err(ApiError::Relay { status, .. }) => (
            Some(*status),
            "bad",
            "from the Tokendeck relay, not the device",
            "relay",
        ),
        Err(ApiError::Network) => (None, "bad", "the relay could not be reached", "relay"),
        Err(ApiError::Unexpected(_)) => (None, "bad", "from the device", "from-device"),
    };
    let status_text = status_line(status);
    // The device's own words and body for its errors; the relay's error otherwise.
    let (error, body) = match done.outcome {
        Ok((_, text)) => (None, Some(text)),
        Err(ApiError::Device {
            message,
            advice,
            body,
            ..
        }) => (
            Some(match advice {
                Some(advice) => format!("{message} {advice}"),
                None => message,
            }),
            Some(body),
        ),
        Err(ApiError::Relay { body, .. }) => (
            Some(format!(
                "Relay error ({}): {}",
                body.code.as_str(),
                body.message
            )),
            None,
        ),
        Err(err) => (Some(err.to_string()), None),
    };
    let error = error.map(|e| say(Tone::Error, e, Some("explorer-error")));
    let link_host = session.profile.link_host;
    let body = body.map(|text| view! { <BodyView text base_url link_host open /> });
    view! {
        <div class="exchange-head">
            <span class="method">{done.method.clone()}</span>
            <code class="target">{target}</code>
            {scope.map(|d| view! { <span class="tag" id="explorer-domain">{d}</span> })}
            <span class=format!("status {status_class}") id="explorer-status">{status_text}</span>
            <span class="muted" id="explorer-time">{timing}</span>
            <span class=format!("origin {origin_class}") id="explorer-origin">{origin}</span>
        </div>
        <Breadcrumbs path=done.path.clone() open />
        {error}
        {body}
    }
}
