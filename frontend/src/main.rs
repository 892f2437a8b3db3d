//! Tokendeck console: a Leptos client-side app, built by Trunk (`cargo xtask demo`), served by
//! the relay. Credentials live in memory only.

mod activity;
mod api;
mod app;
mod clock;
mod components;
mod console;
mod pages;
mod storage;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
