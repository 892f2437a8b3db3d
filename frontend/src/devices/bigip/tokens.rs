//! Tokens: every token the user may see, with owner, address, start and expiry, a timeline of
//! remaining lifetimes, and changing a timeout, deleting one, deleting the user's other tokens,
//! and (administrators) deleting all of them.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::bigip::tokens::{
    DELETE_ALL_PHRASE, TokenRow, confirms_delete_all, may_delete_all, other_tokens_of,
    parse_token_list, short_start_time, timeout_patch_body, token_quota, validate_timeout,
};
use shared::devices::f5::{TOKENS_PATH, read_token, token_path};
use shared::devices::{Call, Reply};
use shared::session::{Event, format_countdown, mask_secret};

use crate::components::loaded::{Loaded, unexpected};
use crate::components::say::{Notice, Tone, outcome, say};
use crate::session::{DeviceSession, use_session};

/// The page's data: the rows as the device lists them.
#[derive(Clone, Debug, PartialEq)]
struct TokenTable {
    rows: Vec<TokenRow>,
}

/// Read the token list, and count the user's tokens against the limit for the session panel.
fn read(session: DeviceSession, body: &str) -> Result<TokenTable, String> {
    let user = session
        .identity
        .with_untracked(|i| i.as_ref().map(|i| i.username.clone()));
    let current = session
        .machine
        .with_untracked(|m| m.access.as_ref().map(|l| l.token.clone()));
    let known: Vec<&str> = user.as_deref().into_iter().collect();
    let rows = parse_token_list(body, &known, current.as_deref()).map_err(|e| e.to_string())?;
    if let Some(user) = &user {
        session
            .quota
            .set(Some(token_quota(&rows, user, session.now().device)));
    }
    Ok(TokenTable { rows })
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let session = use_session();
    let reload = RwSignal::new(0u32);
    let message = RwSignal::new(None::<Notice>);
    let refresh = move || reload.update(|n| *n += 1);

    let delete_many = move |tokens: Vec<String>, what: &'static str| {
        spawn_local(async move {
            let mut failures = Vec::new();
            for token in &tokens {
                if let Err(err) = session.call(Call::new("DELETE", token_path(token))).await {
                    failures.push(err.to_string());
                }
            }
            message.set(Some(if failures.is_empty() {
                Ok(format!("Deleted {} {what}.", tokens.len()))
            } else {
                Err(failures.join(" "))
            }));
            refresh();
        });
    };

    let render = Callback::new(move |reply: Reply| {
        let table = match read(session, &reply.body) {
            Ok(table) => table,
            Err(err) => return unexpected(err),
        };
        let user = session
            .identity
            .with_untracked(|i| i.as_ref().map(|i| i.username.clone()))
            .unwrap_or_default();
        let current = session
            .machine
            .with_untracked(|m| m.access.as_ref().map(|l| l.token.clone()))
            .unwrap_or_default();
        let others: Vec<String> = other_tokens_of(&table.rows, &user, &current)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let is_admin = may_delete_all(&user, &table.rows);
        view! {
            <TokenTableView table on_changed=Callback::new(move |_| refresh()) message />
            <div class="bulk">
                <button class="secondary" id="delete-others" disabled=others.is_empty()
                    on:click={
                        let others = others.clone();
                        move |_| delete_many(others.clone(), "of your other tokens")
                    }>
                    {format!("Delete my other tokens ({})", others.len())}
                </button>
                {is_admin.then(|| view! { <DeleteAll on_done=Callback::new(move |_| refresh()) message /> })}
            </div>
        }.into_any()
    });

    view! {
        <section class="card tokens">
            <div class="card-head">
                <h2>"Tokens"</h2>
                <button class="secondary" id="refresh-tokens" on:click=move |_| refresh()>"Refresh"</button>
            </div>
            {move || message.get().map(|m| outcome(m, ("tokens-notice", "tokens-error")))}
            <Loaded request=Signal::derive(|| Some(Call::get(TOKENS_PATH))) render reload />
        </section>
    }
}

#[component]
fn TokenTableView(
    table: TokenTable,
    on_changed: Callback<()>,
    message: RwSignal<Option<Notice>>,
) -> impl IntoView {
    let session = use_session();
    if table.rows.is_empty() {
        return say(
            Tone::Muted,
            "The device lists no tokens you may see.".into(),
            None,
        );
    }
    let all = table.rows.clone();
    let longest = Memo::new(move |_| {
        let now = session.device_now();
        all.iter()
            .map(|r| r.lease(now).remaining_secs(now))
            .max()
            .unwrap_or(1)
            .max(1)
    });
    let rows = table.rows.clone();
    view! {
        <table class="grid" id="token-table">
            <thead><tr>
                <th>"Owner"</th><th>"Token"</th><th>"Address"</th><th>"Started"</th>
                <th>"Timeout"</th><th>"Remaining"</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let lease_row = row.clone();
                    let remaining = Memo::new(move |_| {
                        let now = session.device_now();
                        lease_row.lease(now).remaining_secs(now)
                    });
                    // Set through the CSSOM (`style:`), which the relay's CSP allows; a `style` attribute it refuses.
                    let width = move || {
                        let permille = remaining.get() * 1000 / longest.get();
                        format!("{}.{}%", permille / 10, permille % 10)
                    };
                    let timeout_input = RwSignal::new(row.timeout_secs.to_string());
                    let row_error = RwSignal::new(None::<String>);
                    let token = row.token.clone();
                    let save_timeout = {
                        let token = token.clone();
                        move |_| {
                            let token = token.clone();
                            match validate_timeout(&timeout_input.get_untracked()) {
                                Err(err) => row_error.set(Some(err.to_string())),
                                Ok(secs) => spawn_local(async move {
                                    let call = Call::new("PATCH", token_path(&token)).json(&timeout_patch_body(secs));
                                    match session.call(call).await {
                                        Ok(reply) => {
                                            // The session follows a change to its own token.
                                            if let Ok(token) = read_token(&reply.body) {
                                                session.dispatch(Event::TokenChanged { token });
                                            }
                                            row_error.set(None);
                                            message.set(Some(Ok(format!("Timeout set to {secs} s."))));
                                            on_changed.run(());
                                        }
                                        Err(err) => row_error.set(Some(err.to_string())),
                                    }
                                }),
                            }
                        }
                    };
                    let delete = {
                        let token = token.clone();
                        let is_current = row.is_current;
                        move |_| {
                            let token = token.clone();
                            spawn_local(async move {
                                match session.call(Call::new("DELETE", token_path(&token))).await {
                                    Ok(_) if is_current => session.logout(),
                                    Ok(_) => {
                                        message.set(Some(Ok("Token deleted.".into())));
                                        on_changed.run(());
                                    }
                                    Err(err) => row_error.set(Some(err.to_string())),
                                }
                            });
                        }
                    };
                    let masked = mask_secret(&row.token);
                    view! {
                        <tr class:current=row.is_current>
                            <td>{row.owner.label()}</td>
                            <td><code>{masked}</code>
                                {row.is_current.then(|| view! { <span class="tag current-badge">"this session"</span> })}</td>
                            <td>{if row.address.is_empty() { "—".to_string() } else { row.address.clone() }}</td>
                            <td class="nowrap" title=row.start_time.clone().unwrap_or_default()>{row.start_time.as_deref().map(short_start_time).unwrap_or_default()}</td>
                            <td>
                                <span class="inline-form">
                                    <input type="text" inputmode="numeric" class="narrow" aria-label="Timeout in seconds"
                                        bind:value=timeout_input />
                                    <button class="link" on:click=save_timeout>"set"</button>
                                </span>
                                {move || row_error.get().map(|e| view! { <p class="error small" role="alert">{e}</p> })}
                            </td>
                            <td class="timeline">
                                <span class="bar"><span class="fill" style:width=width></span></span>
                                <span class="nowrap">{move || match remaining.get() { 0 => "expired".to_string(), s => format_countdown(s) }}</span>
                            </td>
                            <td><button class="link danger" on:click=delete
                                title=if row.is_current { "Deleting this session's token logs you out" } else { "Delete this token on the device" }>
                                "delete"
                            </button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Administrators: delete every token on the device, behind a typed confirmation.
#[component]
fn DeleteAll(on_done: Callback<()>, message: RwSignal<Option<Notice>>) -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let confirmed = move || confirms_delete_all(&typed.get());
    let delete_all = move |_| {
        spawn_local(async move {
            match session.call(Call::new("DELETE", TOKENS_PATH)).await {
                Ok(_) => {
                    message.set(Some(Ok(
                        "Deleted every token on the device, including this session's.".into(),
                    )));
                    open.set(false);
                    typed.set(String::new());
                    on_done.run(());
                }
                Err(err) => message.set(Some(Err(err.to_string()))),
            }
        });
    };
    view! {
        <button class="secondary danger" id="delete-all" on:click=move |_| open.update(|o| *o = !*o)>
            "Delete all tokens…"
        </button>
        {move || open.get().then(|| view! {
            <div class="confirm" role="alertdialog">
                <p>"This deletes every user's tokens on the device, including this session's (the console then logs in again if you chose to stay signed in). Type "
                    <code>{DELETE_ALL_PHRASE}</code> " to confirm."</p>
                <input type="text" id="delete-all-confirm" bind:value=typed />
                <button class="primary danger" id="delete-all-go" disabled=move || !confirmed() on:click=delete_all>
                    "Delete all tokens"
                </button>
            </div>
        })}
    }
}
