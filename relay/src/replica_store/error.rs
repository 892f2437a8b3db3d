//! Why the replicas' store could not be read or written. Each message names the place (the pin
//! file, or the Redis server without its password) and what went wrong.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("reading the pin file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("writing the pin file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the shared state at {url} is unreachable: {message}")]
    Unreachable { url: String, message: String },
    #[error(
        "the shared state at {url} has lost its data (its generation marker is gone or not this relay's), so nothing is pinned until the operator restores or re-initialises it"
    )]
    Lost { url: String },
    #[error(
        "the shared state at {url} has a generation marker ({marker_key}) signed with another key: give every replica the same state_signing_key_file; if this is a new key on purpose, run relay --init-state --force (every pin then needs --adopt-pins or pinning again)"
    )]
    ForeignMarker { url: String, marker_key: String },
    #[error("the shared state at {url} changed while it was being initialised: run it again")]
    Raced { url: String },
    #[error(
        "pins are not signed: --init-state is for state = \"redis://…\" with state_signing_key_file"
    )]
    NoSigningKey,
}
