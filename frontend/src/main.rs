//! Tokendeck console: a Leptos client-side app, built by Trunk (`cargo xtask demo`), served by
//! the relay. Credentials live in memory only; a tab keeps its sessions' tokens (never a
//! password) across a reload.
//!
//! Layers, each using only the ones below it: `app` and `routes` (the frame and the router) →
//! `devices` (one folder per kind) → `pages` and `components` → `session` (one lifecycle
//! machine per device) → `api` (the only HTTP), `platform` (clock, storage) and `url` (the URL
//! grammar).

mod api;
mod app;
mod components;
mod devices;
mod pages;
mod platform;
mod routes;
mod session;
mod url;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
