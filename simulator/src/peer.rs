//! The calling client's address, which F5 devices echo as `referer` and `address`.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

/// The client's IP address as text. Never rejects: without connection info (a router driven
/// in-process by `tower::ServiceExt::oneshot`) it reads `127.0.0.1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Peer(peer_of(parts)))
    }
}

/// The client IP of a request, or `127.0.0.1` when the connection is unknown.
pub fn peer_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".to_owned())
}
