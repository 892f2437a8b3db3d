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
    /// The relay needs its access key (`x-tokendeck-access-key`) and none was sent.
    AccessKeyRequired,
    /// The access key sent is wrong.
    AccessKeyWrong,
    /// Too many wrong access keys from this address; see `Retry-After`.
    RateLimited,
    /// The request named a `Host` the relay does not answer to (DNS-rebinding defence).
    HostNotAllowed,
    /// A cross-origin call from an origin the relay's configuration does not list.
    OriginNotAllowed,
    /// Trust on first use is switched off by the operator.
    TofuDisabled,
    /// The device already has a pin the user may not replace, or another certificate.
    TrustConflict,
    /// The relay is at its limit of calls in flight; see `Retry-After` (503).
    Overloaded,
    /// The relay holds calls to this device back to stay under the device's own rate or
    /// connection limit (FMC); see `Retry-After` (429). Not the device's refusal.
    DeviceBudget,
    /// The relay does not forward this HTTP method (405).
    MethodNotAllowed,
    /// The relay cannot reach its shared state (Redis, for replicas), so it refuses what needs
    /// it: pinning a device, and dialling a device open to trust on first use that another
    /// replica may have pinned meanwhile (503).
    StateUnavailable,
    /// A code this version of the app does not know (from a newer relay).
    #[serde(other)]
    Unknown,
}

impl RelayErrorCode {
    /// The code as it appears on the wire (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            RelayErrorCode::UnknownDevice => "unknown_device",
            RelayErrorCode::DeviceUnreachable => "device_unreachable",
            RelayErrorCode::DnsFailure => "dns_failure",
            RelayErrorCode::PinMismatch => "pin_mismatch",
            RelayErrorCode::UntrustedCertificate => "untrusted_certificate",
            RelayErrorCode::Timeout => "timeout",
            RelayErrorCode::BodyTooLarge => "body_too_large",
            RelayErrorCode::ForbiddenTarget => "forbidden_target",
            RelayErrorCode::BadRequest => "bad_request",
            RelayErrorCode::Internal => "internal",
            RelayErrorCode::AccessKeyRequired => "access_key_required",
            RelayErrorCode::AccessKeyWrong => "access_key_wrong",
            RelayErrorCode::RateLimited => "rate_limited",
            RelayErrorCode::HostNotAllowed => "host_not_allowed",
            RelayErrorCode::OriginNotAllowed => "origin_not_allowed",
            RelayErrorCode::TofuDisabled => "tofu_disabled",
            RelayErrorCode::TrustConflict => "trust_conflict",
            RelayErrorCode::Overloaded => "overloaded",
            RelayErrorCode::DeviceBudget => "device_budget",
            RelayErrorCode::MethodNotAllowed => "method_not_allowed",
            RelayErrorCode::StateUnavailable => "state_unavailable",
            RelayErrorCode::Unknown => "unknown",
        }
    }
}

/// Header the app sends the relay's access key in.
pub const ACCESS_KEY_HEADER: &str = "x-tokendeck-access-key";

/// The stable JSON body of a relay error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayErrorBody {
    pub code: RelayErrorCode,
    /// What happened, on which device, and what to do next.
    pub message: String,
    /// The device the request was for, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// For `rate_limited`, `overloaded` and `device_budget`: seconds until a retry may succeed
    /// (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
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
            retry_after_secs: None,
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["code"], "pin_mismatch");
        assert_eq!(
            serde_json::from_value::<RelayErrorBody>(json).unwrap(),
            body
        );
    }
}
