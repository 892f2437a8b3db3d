//! The generic pages every kind's own pages are made of: a list described by a
//! `shared::devices::table::Collection` (with FMC-style paging, "next page" and "fetch all" with
//! an estimate of the time the rate limit makes it take), and facts read by JSON pointer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::devices::Call;
use shared::devices::fmc::paging::{estimate_fetch_all, page_query};
use shared::devices::table::{Collection, Column, Rows, read_facts, read_rows};
use shared::session::format_clock;
use shared::session::pacing::TOKEN_RESERVE;

use crate::api::ApiError;
use crate::components::data_table::{DataTable, Facts};
use crate::pages::explorer::open_in_explorer;
use crate::platform::clock::utc_offset_minutes;
use crate::routes::page_href;
use crate::session::{DeviceSession, use_session};

/// Read `path` and its facts.
#[component]
pub fn FactsPage(
    title: &'static str,
    id: &'static str,
    path: &'static str,
    fields: &'static [Column],
) -> impl IntoView {
    let session = use_session();
    let facts = LocalResource::new(move || async move {
        let reply = session.call(Call::get(path)).await?;
        read_facts(fields, &reply.body).map_err(|e| ApiError::Unexpected(e.to_string()))
    });
    view! {
        <section class="card facts">
            <h2>{title}</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading…"</p> }>
                {move || Suspend::new(async move {
                    match facts.await {
                        Err(err) => view! { <p class="error" role="alert">{err.to_string()}</p> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! { <p class="muted">"The device sent nothing to show."</p> }.into_any(),
                        Ok(rows) => view! { <Facts rows id /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// One page of a list, as read.
#[derive(Clone, Debug, PartialEq)]
struct Page {
    rows: Rows,
    offset: u64,
}

async fn read_page(
    session: DeviceSession,
    path: &str,
    collection: &'static Collection,
    query: Option<String>,
) -> Result<Rows, ApiError> {
    let target = match query {
        Some(q) if path.contains('?') => format!("{path}&{q}"),
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let reply = session.call(Call::get(target)).await?;
    read_rows(collection, &reply.body).map_err(|e| ApiError::Unexpected(e.to_string()))
}

/// A list page. `path` is `None` until the page can be read (an FMC domain not yet known).
#[component]
pub fn CollectionPage(
    title: &'static str,
    id: &'static str,
    path: Signal<Option<String>>,
    collection: &'static Collection,
    #[prop(optional)] paged: bool,
) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let limit_text = session.field("page.limit", "25");
    let offset = RwSignal::new(0u64);
    let reload = RwSignal::new(0u32);
    let extra = RwSignal::new(Vec::<Vec<String>>::new());
    let fetching = RwSignal::new(None::<String>);
    let limit = move || {
        limit_text
            .get()
            .trim()
            .parse::<u64>()
            .unwrap_or(25)
            .clamp(1, 1000)
    };
    let page = LocalResource::new(move || {
        reload.track();
        let (path, offset, limit) = (path.get(), offset.get(), limit());
        async move {
            let Some(path) = path else {
                return Err(ApiError::Unexpected(
                    "Choose a domain in the session panel first.".into(),
                ));
            };
            let query = paged.then(|| page_query(offset, limit, true));
            read_page(session, &path, collection, query)
                .await
                .map(|rows| Page { rows, offset })
        }
    });
    let open = Callback::new(move |link: String| {
        open_in_explorer(session, &link);
        navigate(&page_href(&session.id(), "explorer"), Default::default());
    });
    // "Fetch all": the rest of the list, page by page, paced under the device's budget.
    let fetch_all = move |(total, fetched): (u64, u64)| {
        let Some(path) = path.get_untracked() else {
            return;
        };
        let limit = limit();
        spawn_local(async move {
            let mut at = fetched;
            while at < total {
                fetching.set(Some(format!("Reading {at} of {total}…")));
                match read_page(
                    session,
                    &path,
                    collection,
                    Some(page_query(at, limit, true)),
                )
                .await
                {
                    Ok(rows) if rows.cells.is_empty() => break,
                    Ok(rows) => {
                        at += rows.cells.len() as u64;
                        extra.update(|e| e.extend(rows.cells));
                    }
                    Err(err) => {
                        fetching.set(Some(format!("Stopped at {at} of {total}: {err}")));
                        return;
                    }
                }
            }
            fetching.set(None);
        });
    };
    let headings: Vec<&'static str> = collection.columns.iter().map(|c| c.label).collect();

    view! {
        <section class="card collection" id=format!("{id}-page")>
            <div class="card-head">
                <h2>{title}</h2>
                <span class="head-status">
                    {paged.then(|| view! {
                        <label class="inline-form">
                            <span class="label">"Page size"</span>
                            <input type="text" class="narrow" id=format!("{id}-limit") inputmode="numeric" bind:value=limit_text />
                        </label>
                    })}
                    <button type="button" class="secondary" id=format!("{id}-refresh")
                        on:click=move |_| { extra.set(Vec::new()); reload.update(|n| *n += 1); }>"Refresh"</button>
                </span>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Reading…"</p> }>
                {move || {
                    let headings = headings.clone();
                    Suspend::new(async move {
                        match page.await {
                            Err(err) => view! { <p class="error" role="alert" id=format!("{id}-error")>{err.to_string()}</p> }.into_any(),
                            Ok(page) => {
                                let shown = page.rows.cells.len() as u64;
                                let total = page.rows.total;
                                let mut rows = page.rows.cells;
                                let links = page.rows.links;
                                rows.extend(extra.get_untracked());
                                let count = match total {
                                    Some(t) => format!("{} – {} of {t}", page.offset + u64::from(shown > 0), page.offset + shown),
                                    None => format!("{shown} in all"),
                                };
                                let more = total.filter(|t| paged && page.offset + shown < *t);
                                view! {
                                    <p class="muted small" id=format!("{id}-count")>{count}</p>
                                    <DataTable headings rows links id on_open=open />
                                    {more.map(|total| view! {
                                        <PagingBar session total fetched=page.offset + shown limit=limit()
                                            next=Callback::new(move |_| { extra.set(Vec::new()); offset.set(page.offset + shown); })
                                            fetch_all=Callback::new(fetch_all) id />
                                    })}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
            {move || fetching.get().map(|f| view! { <p class="notice" role="status" id=format!("{id}-fetching")>{f}</p> })}
        </section>
    }
}

/// "Next page" and "Fetch all", with what fetching all would cost.
#[component]
fn PagingBar(
    session: DeviceSession,
    total: u64,
    fetched: u64,
    limit: u64,
    next: Callback<()>,
    fetch_all: Callback<(u64, u64)>,
    id: &'static str,
) -> impl IntoView {
    let estimate = move || {
        let rate = session.profile.rules.rate_limit;
        let per_minute = rate.map_or(u64::MAX / 2, |r| u64::from(r.per_minute - TOKEN_RESERVE));
        let now = session.device_now();
        let needed = session.machine.with(|m| m.password_needed_at());
        let left = needed.map(|t| ((t - now).max(0) / 1_000_000) as u64);
        let e = estimate_fetch_all(total, fetched, limit, per_minute, per_minute, left);
        let time = match e.secs {
            0 => "within the device's rate limit now".to_string(),
            s => format!("about {} min at the device's rate limit", s.div_ceil(60)),
        };
        let session_note = match (e.fits_session, needed) {
            (true, _) => String::new(),
            (false, Some(t)) => format!(
                " — longer than the session lasts without the password (needed at {}); turn on \"stay signed in\" first",
                format_clock(t, utc_offset_minutes())
            ),
            (false, None) => String::new(),
        };
        format!("{} more calls, {time}{session_note}.", e.calls)
    };
    view! {
        <div class="paging">
            <button type="button" class="secondary" id=format!("{id}-next") on:click=move |_| next.run(())>"Next page"</button>
            <button type="button" class="secondary" id=format!("{id}-all") on:click=move |_| fetch_all.run((total, fetched))>"Fetch all"</button>
            <span class="hint" id=format!("{id}-estimate")>{estimate}</span>
        </div>
    }
}
