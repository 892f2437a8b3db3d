//! Simulated F5 BIG-IP (iControl REST with `tmos` tokens): login and token management,
//! `/mgmt/tm/sys`, LTM nodes and transactions.

mod auth;
mod echo;
mod links;
mod login;
mod node_error;
mod node_name;
mod node_props;
mod node_table;
mod nodes;
mod state;
mod sys;
mod token_store;
mod tokens;
mod transaction_store;
mod transactions;
mod users;

use axum::Router;
use axum::routing::{get, post};

use crate::config::SimConfig;
use crate::f5_extract;
use crate::guard::DeviceGuard;
use crate::rest_error;

pub use auth::Caller;
pub use links::VERSION;
pub use node_error::NodeError;
pub use node_name::{NodeRef, valid_name as valid_node_name};
pub use node_table::{NodeCommand, NodeTable};
pub use state::BigIp;
pub use token_store::{
    DEFAULT_TIMEOUT_SECS, MAX_TIMEOUT_SECS, MAX_TOKENS_PER_USER, TokenError, TokenRecord,
    TokenStore,
};
pub use transaction_store::TransactionStore;

/// A simulated BIG-IP: its routes and how it takes requests (bodies up to
/// `F5_BODY_LIMIT`, refusals in the REST framework's shape).
pub fn device(config: &SimConfig) -> (Router, DeviceGuard) {
    (
        router(BigIp::new(config.clone())),
        f5_extract::device_guard(&config.limits),
    )
}

/// All BIG-IP routes. Trailing slashes are dropped before routing and `?ver=` is accepted
/// (and ignored) on every path.
pub fn router(state: BigIp) -> Router {
    let routes = Router::new()
        .route("/mgmt/shared/authn/login", post(login::login))
        .route("/mgmt/shared/echo-query", get(echo::echo_query))
        .route(
            "/mgmt/shared/echo",
            get(echo::echo).post(echo::echo).put(echo::echo),
        )
        .route(
            "/mgmt/shared/authz/tokens",
            get(tokens::list).delete(tokens::delete_all),
        )
        .route(
            "/mgmt/shared/authz/tokens/{token}",
            get(tokens::get_one)
                .patch(tokens::retime)
                .put(tokens::retime)
                .delete(tokens::delete_one),
        )
        .route(
            "/mgmt/cm/system/authn/providers/tmos/{provider}/users/{user}",
            get(users::user),
        )
        .route(
            "/mgmt/cm/system/authn/providers/{provider}/users/{user}",
            get(users::user),
        )
        .route("/mgmt/tm", get(sys::modules))
        .route("/mgmt/tm/ltm", get(sys::ltm))
        .route("/mgmt/tm/sys", get(sys::collection))
        .route("/mgmt/tm/sys/version", get(sys::version))
        .route("/mgmt/tm/ltm/node", get(nodes::list).post(nodes::create))
        .route(
            "/mgmt/tm/ltm/node/{name}",
            get(nodes::get_one)
                .patch(nodes::modify)
                .put(nodes::replace)
                .delete(nodes::delete),
        )
        .route(
            "/mgmt/tm/transaction",
            get(transactions::list).post(transactions::begin),
        )
        .route(
            "/mgmt/tm/transaction/{id}",
            get(transactions::get_one)
                .patch(transactions::commit)
                .delete(transactions::discard),
        )
        .route(
            "/mgmt/tm/transaction/{id}/commands",
            get(transactions::commands),
        )
        .method_not_allowed_fallback(rest_error::method_not_allowed)
        .fallback(rest_error::unknown_path)
        .with_state(state);
    crate::paths::accepting_trailing_slashes(routes)
}
