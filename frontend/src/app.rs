//! The page frame: device picker on the left; the login form, or the session panel and the
//! session's pages, on the right.

use std::time::Duration;

use leptos::prelude::*;
use shared::lifecycle::{Event, Phase};

use crate::api;
use crate::clock::now_micros;
use crate::components::device_list::DeviceList;
use crate::components::login_form::LoginForm;
use crate::components::session_panel::SessionPanel;
use crate::console::Console;
use crate::pages::activity::ActivityPage;
use crate::pages::explorer::ExplorerPage;
use crate::pages::nodes::NodesPage;
use crate::pages::tokens::TokensPage;
use crate::pages::version::VersionPage;

/// The console's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Tokens,
    Nodes,
    Version,
    Explorer,
    Activity,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Tokens,
        Tab::Nodes,
        Tab::Version,
        Tab::Explorer,
        Tab::Activity,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Tokens => "Tokens",
            Tab::Nodes => "Nodes",
            Tab::Explorer => "Explorer",
            Tab::Version => "Version",
            Tab::Activity => "Activity",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Tokens => "tab-tokens",
            Tab::Nodes => "tab-nodes",
            Tab::Explorer => "tab-explorer",
            Tab::Version => "tab-version",
            Tab::Activity => "tab-activity",
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    let devices = LocalResource::new(api::list_devices);
    let tab = RwSignal::new(Tab::Tokens);

    set_interval(
        move || {
            console.now.set(now_micros());
            console.dispatch(Event::Tick);
        },
        Duration::from_secs(1),
    );

    // Pick the first device once the inventory arrives, so a new user lands on a login form.
    Effect::new(move |_| {
        if console.device.with_untracked(Option::is_none)
            && let Some(Ok(list)) = devices.get()
            && let Some(first) = list.first()
        {
            console.select_device(first.clone());
        }
    });

    // Memos, so the page is rebuilt only when these change, not on every machine step.
    let needs_password = Memo::new(move |_| {
        console
            .machine
            .with(|m| matches!(m.phase, Phase::NeedsPassword(_)))
    });
    let signed_in = Memo::new(move |_| console.signed_in());

    view! {
        <header class="topbar">
            <span class="brand">"Tokendeck"</span>
            <span class="tagline">"token console for BIG-IP, BIG-IQ and FMC"</span>
        </header>
        <div class="layout">
            <aside class="sidebar">
                <h2>"Devices"</h2>
                <DeviceList devices />
            </aside>
            <main class="content">
                {move || {
                    let device = console.device.get();
                    match device {
                        None => view! {
                            <p class="empty">"Choose a device on the left to log in."</p>
                        }.into_any(),
                        Some(device) if !signed_in.get() => view! { <LoginForm device /> }.into_any(),
                        Some(device) => view! {
                            <SessionPanel />
                            <Show when=move || needs_password.get()>
                                <div class="overlay" role="dialog" aria-modal="true">
                                    <LoginForm device=device.clone() />
                                </div>
                            </Show>
                            <nav class="tabs" role="tablist">
                                {Tab::ALL.into_iter().map(|t| view! {
                                    <button role="tab" id=t.id() class="tab"
                                        class:active=move || tab.get() == t
                                        aria-selected=move || (tab.get() == t).to_string()
                                        on:click=move |_| tab.set(t)>
                                        {t.label()}
                                        {(t == Tab::Activity).then(|| view! {
                                            <span class="badge">{move || console.activity.with(Vec::len)}</span>
                                        })}
                                    </button>
                                }).collect_view()}
                            </nav>
                            {move || match tab.get() {
                                Tab::Tokens => view! { <TokensPage /> }.into_any(),
                                Tab::Nodes => view! { <NodesPage /> }.into_any(),
                                Tab::Explorer => view! { <ExplorerPage /> }.into_any(),
                                Tab::Version => view! { <VersionPage /> }.into_any(),
                                Tab::Activity => view! { <ActivityPage /> }.into_any(),
                            }}
                        }.into_any(),
                    }
                }}
            </main>
        </div>
    }
}
