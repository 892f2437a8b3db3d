//! Simulated F5 BIG-IP (iControl REST with `tmos` tokens).

mod auth;
mod sys;
mod tokens;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};

use crate::{SimConfig, User};

pub use tokens::TokenRecord;

/// Token lifetime when the client does not change it.
pub const DEFAULT_TIMEOUT_SECS: u64 = 1200;

/// Shared state of one simulated BIG-IP.
#[derive(Clone)]
pub struct BigIp {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    tokens: Mutex<HashMap<String, TokenRecord>>,
}

impl BigIp {
    pub fn new(config: SimConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                tokens: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn now_micros(&self) -> i64 {
        self.inner.config.clock.now_micros()
    }

    fn user(&self, name: &str) -> Option<&User> {
        self.inner.config.users.iter().find(|u| u.name == name)
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenRecord>> {
        self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The referer iControl REST writes into error bodies: the caller's address.
fn referer(peer: SocketAddr) -> String {
    peer.ip().to_string()
}

/// All BIG-IP routes.
pub fn router(state: BigIp) -> Router {
    Router::new()
        .route("/mgmt/shared/authn/login", post(tokens::login))
        .route("/mgmt/tm/sys/version", get(sys::version))
        .with_state(state)
}
