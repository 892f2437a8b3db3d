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
}
