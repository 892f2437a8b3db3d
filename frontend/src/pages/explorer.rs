//! Explorer, for every kind: send any request (method, path, query, JSON body) with the
//! session's token, see the answer as pretty JSON whose links to the same device open with a
//! click, the status and timing, and — for an error — the device's own body and message, or
//! the relay's. What was typed survives a page switch (it is kept with the device's session).

mod json_view;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::Call;
use shared::devices::fmc::domains;
use shared::devices::links::split_target;

use crate::api::ApiError;
use crate::components::say::{Tone, say};
use crate::platform::clock::now_ms;
use crate::session::{DeviceSession, use_session};
use json_view::{Segment, pretty_segments};

const METHODS: [&str; 5] = ["GET", "POST", "PATCH", "PUT", "DELETE"];

/// Methods whose requests carry the body.
fn sends_body(method: &str) -> bool {
    matches!(method, "POST" | "PATCH" | "PUT")
}

/// The body to send: `None` when blank, the text when it is JSON, the parse error otherwise.
fn checked_body(text: &str) -> Result<Option<String>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| Some(text.to_string()))
        .map_err(|e| format!("The body is not valid JSON ({e}), so nothing was sent."))
}

/// `ver=17.1.3` added to (or replacing the `ver` in) a query.
fn with_param(query: &str, name: &str, value: &str) -> String {
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_string)
        .collect();
    parts.push(format!("{name}={value}"));
    parts.join("&")
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

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
    let (path, query) = split_target(link, &base);
    session.field("explorer.method", "GET").set("GET".into());
    session.field("explorer.path", "").set(path);
    session.field("explorer.query", "").set(query);
    session.field("explorer.go", "").set("1".into());
}

#[component]
pub fn ExplorerPage() -> impl IntoView {
    let session = use_session();
    let roots = session.profile.explorer_roots;
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
        let verb = method.get_untracked();
        // A query pasted into the path (e.g. a whole device link) wins over the query field.
        let typed = path.get_untracked();
        let typed = match session.domain_uuid() {
            Some(uuid) => domains::fill(&typed, &uuid),
            None => typed,
        };
        let base = session.device.with_untracked(|d| d.base_url.clone());
        let (target_path, mut target_query) = split_target(&typed, &base);
        if target_query.is_empty() {
            target_query = query
                .get_untracked()
                .trim()
                .trim_start_matches('?')
                .to_string();
        }
        path.set(target_path.clone());
        query.set(target_query.clone());
        let payload = if sends_body(&verb) {
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
        let target = if target_query.is_empty() {
            target_path.clone()
        } else {
            format!("{target_path}?{target_query}")
        };
        let ticket = latest.get_value() + 1;
        latest.set_value(ticket);
        sending.set(true);
        spawn_local(async move {
            let started = now_ms();
            let method: &'static str = METHODS
                .iter()
                .find(|m| **m == verb)
                .copied()
                .unwrap_or("GET");
            let call = Call {
                method,
                path: target,
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
                method: verb,
                path: target_path,
                query: target_query,
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
    let hints = session.profile.kind == shared::wire::DeviceKind::Bigip;

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
                            placeholder=if hints { "$select=name,address&ver=17.1.3" } else { "offset=0&limit=25&expanded=true" } />
                    </label>
                    <button type="submit" class="primary" id="explorer-send" disabled=move || sending.get()>
                        {move || if sending.get() { "Sending…" } else { "Send" }}
                    </button>
                </div>
                <div class="hints">
                    {hints.then(|| view! {
                        <span class="label">"Add to query"</span>
                        <button type="button" class="chip" id="hint-ver"
                            on:click=move |_| query.update(|q| *q = with_param(q, "ver", "17.1.3"))>
                            "ver=17.1.3"
                        </button>
                        <button type="button" class="chip" id="hint-select"
                            on:click=move |_| query.update(|q| *q = with_param(q, "$select", "name,address"))>
                            "$select=name,address"
                        </button>
                    })}
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

/// `/mgmt/tm/sys/version` as clickable steps: `/mgmt`, `/mgmt/tm`, `/mgmt/tm/sys`, ….
#[component]
fn Breadcrumbs(path: String, open: Callback<(String, String)>) -> impl IntoView {
    let mut prefix = String::new();
    let steps: Vec<(String, String)> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            prefix.push('/');
            prefix.push_str(segment);
            (segment.to_string(), prefix.clone())
        })
        .collect();
    view! {
        <nav class="crumbs" aria-label="Path of this answer">
            {steps.into_iter().map(|(segment, target)| view! {
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
fn BodyView(text: String, base_url: String, open: Callback<(String, String)>) -> impl IntoView {
    if text.trim().is_empty() {
        return say(
            Tone::Muted,
            "(empty body)".into(),
            Some("explorer-response"),
        );
    }
    match pretty_segments(&text, &base_url) {
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
    let domain = session
        .domains
        .with_untracked(|d| domains::name_in_path(&done.path, d).map(|n| format!("domain {n}")));
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
    let status_text = status.map_or_else(
        || "no reply".to_string(),
        |s| format!("{s} {}", reason_phrase(s)).trim_end().to_string(),
    );
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
    let body = body.map(|text| view! { <BodyView text base_url open /> });
    view! {
        <div class="exchange-head">
            <span class="method">{done.method.clone()}</span>
            <code class="target">{target}</code>
            {domain.map(|d| view! { <span class="tag" id="explorer-domain">{d}</span> })}
            <span class=format!("status {status_class}") id="explorer-status">{status_text}</span>
            <span class="muted" id="explorer-time">{timing}</span>
            <span class=format!("origin {origin_class}") id="explorer-origin">{origin}</span>
        </div>
        <Breadcrumbs path=done.path.clone() open />
        {error}
        {body}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_hints_add_or_replace_one_parameter() {
        assert_eq!(with_param("", "ver", "17.1.3"), "ver=17.1.3");
        assert_eq!(
            with_param("$select=name&ver=11.6.0", "ver", "17.1.3"),
            "$select=name&ver=17.1.3"
        );
    }

    #[test]
    fn bodies_are_checked_before_sending() {
        assert_eq!(checked_body("  "), Ok(None));
        assert_eq!(checked_body("{\"a\":1}"), Ok(Some("{\"a\":1}".into())));
        let err = checked_body("{\"a\":").unwrap_err();
        assert!(
            err.contains("not valid JSON") && err.contains("nothing was sent"),
            "{err}"
        );
        assert!(sends_body("PATCH") && !sends_body("GET") && !sends_body("DELETE"));
    }
}
