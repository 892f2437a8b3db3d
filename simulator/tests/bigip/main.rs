//! BIG-IP simulator over real HTTPS: every documented rule, with a manual clock.

#[path = "../common/mod.rs"]
mod common;

mod nodes;
mod route_domains;
mod sys;
mod token_management;
mod tokens;
mod transactions;
