//! Tokendeck console: a Leptos client-side app, built by Trunk (`cargo xtask demo`), served by
//! the relay. Credentials live in memory only.

mod api;
mod app;
mod components;
mod pages;
mod session;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
