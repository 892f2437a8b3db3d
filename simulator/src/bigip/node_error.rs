//! Why a node operation failed, in mcpd's words, and how the device answers it.

use axum::http::StatusCode;

use crate::rest_error::F5Error;

/// Why a node operation failed. The texts with message codes are the device's own; the rest
/// follow its style (unverified).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("01020036:3: The requested Node ({0}) was not found.")]
    NotFound(String),
    #[error(
        "01020066:3: The requested Node ({full_path}) already exists in partition {partition}."
    )]
    Exists {
        full_path: String,
        partition: String,
    },
    #[error("01070734:3: Configuration error: Invalid Node, the IP address {0} already exists.")]
    AddressTaken(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<NodeError> for F5Error {
    fn from(err: NodeError) -> Self {
        let status = match err {
            NodeError::NotFound(_) => StatusCode::NOT_FOUND,
            NodeError::Exists { .. } => StatusCode::CONFLICT,
            NodeError::AddressTaken(_) | NodeError::Invalid(_) => StatusCode::BAD_REQUEST,
        };
        F5Error::configuration(status, err.to_string())
    }
}
