//! `POST /api/devices`: a device the user typed in (ad hoc), admitted only if the operator's
//! allowlist covers it.

use serde::{Deserialize, Serialize};

use super::DeviceKind;

/// Body of `POST /api/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdHocRequest {
    pub kind: DeviceKind,
    /// `https://host[:port]`.
    pub base_url: String,
}
