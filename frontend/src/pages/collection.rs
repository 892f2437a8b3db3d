//! The generic pages every kind's own pages are made of: a list described by a
//! `shared::devices::table::Collection` (paged the kind's way where it pages collections: "next
//! page", and "fetch all" with an estimate of the time the device's rate budget makes it take),
//! and facts read by JSON pointer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::devices::paging::{estimate_fetch_all, page_query, page_size, with_query};
use shared::devices::table::{Collection, Column, read_facts, read_rows};
use shared::devices::{Call, Paging, Reply};
use shared::session::format_clock;
use shared::wire::Priority;

use crate::components::data_table::{DataTable, Facts};
use crate::components::loaded::{Loaded, unexpected};
use crate::components::say::{Tone, say};
use crate::pages::explorer::open_in_explorer;
use crate::platform::clock::utc_offset_minutes;
use crate::platform::location::use_location;
use crate::session::{DeviceSession, use_session};
use crate::url::page_href;

/// Read `path` and its facts.
#[component]
pub fn FactsPage(
    title: &'static str,
    id: &'static str,
    path: &'static str,
    fields: &'static [Column],
) -> impl IntoView {
    let render = Callback::new(move |reply: Reply| match read_facts(fields, &reply.body) {
        Err(err) => unexpected(err),
        Ok(rows) if rows.is_empty() => {
            say(Tone::Muted, "The device sent nothing to show.".into(), None)
        }
        Ok(rows) => view! { <Facts rows id /> }.into_any(),
    });
    view! {
        <section class="card facts">
            <h2>{title}</h2>
            <Loaded request=Signal::derive(move || Some(Call::get(path))) render />
        </section>
    }
}

/// The page size until the user picks another.
const DEFAULT_PAGE: u64 = 25;

/// A list page. `path` is `None` until the page can be read (a scope not yet known). `paged`:
/// read page by page, the way the kind pages collections (`Profile::paging`).
#[component]
pub fn CollectionPage(
    title: &'static str,
    id: &'static str,
    path: Signal<Option<String>>,
    collection: &'static Collection,
    #[prop(optional)] paged: bool,
) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let paging: Option<&'static Paging> = session.profile.paging.as_ref().filter(|_| paged);
    let total_at = paging.map(|p| p.total);
    let limit_text = session.field("page.limit", &DEFAULT_PAGE.to_string());
    let offset = RwSignal::new(0u64);
    let reload = RwSignal::new(0u32);
    let extra = RwSignal::new(Vec::<Vec<String>>::new());
    let fetching = RwSignal::new(None::<String>);
    let limit = move || {
        paging.map_or(DEFAULT_PAGE, |p| {
            page_size(p, &limit_text.get(), DEFAULT_PAGE)
        })
    };
    let request = Signal::derive(move || {
        let path = path.get()?;
        Some(Call::get(match paging {
            Some(p) => with_query(&path, &page_query(p, offset.get(), limit())),
            None => path,
        }))
    });
    let open = Callback::new(move |link: String| {
        open_in_explorer(session, &link);
        location.navigate(&page_href(&session.id(), "explorer"), false);
    });
    // "Fetch all": the rest of the list, page by page, paced under the device's budget.
    let fetch_all = Callback::new(move |(total, fetched): (u64, u64)| {
        let (Some(path), Some(paging)) = (path.get_untracked(), paging) else {
            return;
        };
        let limit = limit();
        spawn_local(async move {
            let mut at = fetched;
            while at < total {
                fetching.set(Some(format!("Reading {at} of {total}…")));
                let call = Call::get(with_query(&path, &page_query(paging, at, limit)));
                let read = session
                    .call(call)
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|reply| {
                        read_rows(collection, &reply.body, Some(paging.total))
                            .map_err(|e| e.to_string())
                    });
                match read {
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
    });
    let render = Callback::new(move |reply: Reply| {
        let rows = match read_rows(collection, &reply.body, total_at) {
            Ok(rows) => rows,
            Err(err) => return unexpected(err),
        };
        let at = if paging.is_some() {
            offset.get_untracked()
        } else {
            0
        };
        let shown = rows.cells.len() as u64;
        let count = match rows.total {
            Some(t) => format!("{} – {} of {t}", at + u64::from(shown > 0), at + shown),
            None => format!("{shown} in all"),
        };
        let more = rows.total.filter(|t| at + shown < *t);
        let headings = collection.columns.iter().map(|c| c.label).collect();
        let mut cells = rows.cells;
        cells.extend(extra.get_untracked());
        view! {
            <p class="muted small" id=format!("{id}-count")>{count}</p>
            <DataTable headings rows=cells links=rows.links id on_open=open />
            {more.zip(paging).map(|(total, paging)| view! {
                <PagingBar session paging total fetched=at + shown limit=limit()
                    next=Callback::new(move |_| { extra.set(Vec::new()); offset.set(at + shown); })
                    fetch_all id />
            })}
        }
        .into_any()
    });
    let missing = move || {
        path.with(Option::is_none).then(|| {
            let scope = session.profile.scope.map_or("scope", |s| s.label);
            say(
                Tone::Notice,
                format!(
                    "Choose a {} in the session panel first.",
                    scope.to_ascii_lowercase()
                ),
                None,
            )
        })
    };

    view! {
        <section class="card collection" id=format!("{id}-page")>
            <div class="card-head">
                <h2>{title}</h2>
                <span class="head-status">
                    {paging.is_some().then(|| view! {
                        <label class="inline-form">
                            <span class="label">"Page size"</span>
                            <input type="text" class="narrow" id=format!("{id}-limit") inputmode="numeric" bind:value=limit_text />
                        </label>
                    })}
                    <button type="button" class="secondary" id=format!("{id}-refresh")
                        on:click=move |_| { extra.set(Vec::new()); reload.update(|n| *n += 1); }>"Refresh"</button>
                </span>
            </div>
            {missing}
            <Loaded request render reload />
            {move || fetching.get().map(|f| say(Tone::Notice, f, None))}
        </section>
    }
}
/// "Next page" and "Fetch all", with what fetching all would cost under the device's budget.
#[component]
fn PagingBar(
    session: DeviceSession,
    paging: &'static Paging,
    total: u64,
    fetched: u64,
    limit: u64,
    next: Callback<()>,
    fetch_all: Callback<(u64, u64)>,
    id: &'static str,
) -> impl IntoView {
    let estimate = move || {
        let now_local = session.hub().now.get();
        // What the console may still send this window, then what it may send in each later one.
        let budget = session
            .pace(|p| {
                let room = p.room(now_local, Priority::Ordinary)?;
                let per_window = p.allowance(Priority::Ordinary).per_minute?;
                Some((u64::from(room), u64::from(per_window)))
            })
            .flatten();
        let now = session.device_now();
        let needed = session.machine.with(|m| m.password_needed_at());
        let left = needed.map(|t| ((t - now).max(0) / 1_000_000) as u64);
        let e = estimate_fetch_all(paging, total, fetched, limit, budget, left);
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
