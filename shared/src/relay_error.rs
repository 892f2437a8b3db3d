//! Errors the relay itself produces (as opposed to a device's own replies, which pass through
//! unchanged). Every such response carries [`RELAY_ERROR_HEADER`] so the app never mistakes a
//! relay failure for the device's own 401 or 404.

use serde::{Deserialize, Serialize};

/// Response header present on every error the relay generates itself.
pub const RELAY_ERROR_HEADER: &str = "x-tokendeck-relay-error";

/// Machine-readable cause of a relay error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayErrorCode {
    UnknownDevice,
    DeviceUnreachable,
    DnsFailure,
    PinMismatch,
    UntrustedCertificate,
    Timeout,
    BodyTooLarge,
    ForbiddenTarget,
    BadRequest,
    Internal,
}

/// The stable JSON body of a relay error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayErrorBody {
    pub code: RelayErrorCode,
    /// What happened, on which device, and what to do next.
    pub message: String,
    /// The device the request was for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_round_trips_with_snake_case_code() {
        let body = RelayErrorBody {
            code: RelayErrorCode::PinMismatch,
            message: "m".into(),
            device: Some("lab".into()),
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["code"], "pin_mismatch");
        assert_eq!(
            serde_json::from_value::<RelayErrorBody>(json).unwrap(),
            body
        );
    }
}
