//! A table and a key/value list rendered from data, so every kind's list and facts pages share
//! one view each (in this wasm build every distinct view costs bundle size).

use leptos::prelude::*;

/// Label and value rows.
#[component]
pub fn Facts(rows: Vec<(&'static str, String)>, id: &'static str) -> impl IntoView {
    view! {
        <table class="kv" id=id>
            <tbody>
                {rows.into_iter().map(|(label, value)| view! {
                    <tr><th scope="row">{label}</th><td>{value}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Headings and rows of text; a row with a link gets an "explore" button.
#[component]
pub fn DataTable(
    headings: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    links: Vec<Option<String>>,
    id: &'static str,
    #[prop(optional)] on_open: Option<Callback<String>>,
) -> impl IntoView {
    let with_links = on_open.is_some() && links.iter().any(Option::is_some);
    view! {
        <div class="table-scroll">
            <table class="grid" id=id>
                <thead><tr>
                    {headings.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                    {with_links.then(|| view! { <th scope="col"><span class="sr-only">"Open"</span></th> })}
                </tr></thead>
                <tbody>
                    {rows.into_iter().zip(links.into_iter().chain(std::iter::repeat(None))).map(|(cells, link)| view! {
                        <tr>
                            {cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}
                            {with_links.then(|| view! {
                                <td>{link.zip(on_open).map(|(link, open)| view! {
                                    <button type="button" class="link explore" on:click=move |_| open.run(link.clone())>"explore"</button>
                                })}</td>
                            })}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
