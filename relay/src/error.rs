//! Errors the relay produces itself, each with a stable code and a message worded for a
//! person: what happened, to which device, what to do. Technical detail (the transport error,
//! the client address) goes to the log only, through [`LoggedError`], which the error layer
//! (`response::log_relay_error`, called by the front) writes; `IntoResponse` only builds the
//! response (`response`). Every other part's refusal becomes one of these by a `From` impl
//! (`from`), so handlers use `?`.
//!
//! The JSON body is `shared::wire::RelayErrorBody`, with the codes of
//! `shared::wire::RelayErrorCode`; see [`RelayError::code`].

mod from;
mod response;

use std::net::IpAddr;

use axum::http::StatusCode;
use shared::wire::RelayErrorCode;

use crate::trust::{CertificateProblem, PinMismatch};
pub use response::{LoggedError, log_relay_error};

/// Why a device could not be reached, as a person would say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Nothing accepts connections at that address and port.
    Refused,
    /// The device closed or reset the connection before answering.
    Closed,
    /// It answered, but not with HTTP (or not with TLS).
    NotHttp,
    /// Any other network failure.
    Network,
    /// An ad-hoc device: one message for every failure, so the relay is no port scanner.
    AdHoc,
}

impl Unreachable {
    fn describe(self) -> &'static str {
        match self {
            Unreachable::Refused => "nothing accepts connections at that address and port",
            Unreachable::Closed => "the device closed the connection without answering",
            Unreachable::NotHttp => "it answered with something that is not an HTTPS reply",
            Unreachable::Network => "the network connection failed",
            Unreachable::AdHoc => "it is down, filtered, or not a management interface",
        }
    }
}

/// A failure of the relay (not of the device behind it).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(
        "There is no device {0:?} in this relay's inventory. Reload the page to see the current list."
    )]
    UnknownDevice(String),
    #[error(
        "Could not reach {device} at {target}: {}. Check that the device is up and reachable from the relay.",
        .why.describe()
    )]
    Unreachable {
        device: String,
        target: String,
        why: Unreachable,
        detail: String,
    },
    #[error(
        "The name {host} of {device} could not be resolved. Check the device's base URL and the relay's DNS."
    )]
    DnsFailure {
        device: String,
        host: String,
        detail: String,
    },
    #[error("The certificate of {device} has CHANGED. The relay pinned {} but the device now presents {} (public key {}). This could be an attack, or the device's certificate was regenerated; verify the new fingerprint on the device before anyone pins it again.", .mismatch.expected, .mismatch.presented, .mismatch.presented_spki)]
    PinMismatch {
        device: String,
        mismatch: PinMismatch,
    },
    #[error(
        "The relay does not trust the certificate of {device}: it {}. Compare its fingerprint with the one the device shows, then pin it if this relay allows that, or ask the operator to configure its CA.",
        .problem.describe()
    )]
    UntrustedCertificate {
        device: String,
        problem: CertificateProblem,
        detail: String,
    },
    #[error("{device} did not answer within {ms} ms. The device may be overloaded; try again.")]
    Timeout { device: String, ms: u128 },
    #[error("The request body is larger than the relay's limit of {limit} bytes.")]
    BodyTooLarge { limit: usize },
    #[error(
        "The reply of {device} is larger than the relay's limit of {limit} bytes. Ask for less (paging, $select)."
    )]
    ReplyTooLarge { device: String, limit: u64 },
    #[error(
        "The request body arrived too slowly (the relay waits {secs} s for a whole body). Check the network and try again."
    )]
    BodyTooSlow { secs: u64 },
    #[error("The relay refuses to forward this path: {0}.")]
    ForbiddenTarget(String),
    #[error("The relay does not dial this device: {0}.")]
    NotAdmitted(String),
    #[error("Bad request: {0}.")]
    BadRequest(String),
    #[error("The relay does not forward {method} requests; it forwards {allowed}.")]
    MethodNotAllowed {
        method: String,
        allowed: &'static str,
    },
    #[error("This relay needs its access key. Enter the key your operator gave you.")]
    AccessKeyRequired,
    #[error("The access key is wrong. Check it with your operator.")]
    AccessKeyWrong { client: IpAddr },
    #[error(
        "Too many wrong access keys from this address. Wait {retry_after_secs} s before trying again."
    )]
    RateLimited { retry_after_secs: u64 },
    #[error(
        "The relay is handling as many requests as it may at once. Try again in {retry_after_secs} s."
    )]
    Overloaded { retry_after_secs: u64 },
    #[error(
        "You have {held} requests in progress on this relay at once, and one client may have at most {limit} (the rest are left for everyone else). Try again in {retry_after_secs} s."
    )]
    ClientOverShare {
        held: u32,
        limit: u32,
        retry_after_secs: u64,
    },
    #[error(
        "This relay does not answer to the host name {0:?}. Open it by a name its operator configured (allowed_hosts)."
    )]
    HostNotAllowed(String),
    #[error(
        "Requests from the page at {0:?} are not allowed. Open the console from the relay itself, or ask the operator to add the origin to allowed_origins."
    )]
    OriginNotAllowed(String),
    #[error(
        "Trust on first use is switched off on this relay (allow_tofu = false). Ask the operator to pin {0}'s certificate in the configuration."
    )]
    TofuDisabled(String),
    #[error("{device}: {detail}")]
    TrustConflict { device: String, detail: String },
    #[error(
        "Tokendeck held this call to {device} back: this relay keeps all its users together under {limit} requests a minute to it{}, so the device itself never has to refuse one, and this minute's are spent. Retry in {retry_after_secs} s.",
        kept_for_token_calls(*.kept)
    )]
    BudgetPerMinute {
        device: String,
        limit: u32,
        /// How many more a minute the budget keeps for sign-ins and renewals.
        kept: u32,
        retry_after_secs: u64,
    },
    #[error(
        "Tokendeck held this call to {device} back: this relay lets all its users together have at most {limit} calls to it in progress at once{}, so the device itself never has to refuse one. Retry in {retry_after_secs} s.",
        kept_for_token_calls(*.kept)
    )]
    BudgetConcurrent {
        device: String,
        limit: u32,
        /// How many more at once the budget keeps for sign-ins and renewals.
        kept: u32,
        retry_after_secs: u64,
    },
    #[error(
        "The relay cannot reach its shared state ({state}), so it cannot tell whether {device} was pinned through another replica, and does not dial it until it can. Try again in a minute; if this lasts, tell the operator."
    )]
    PinsUnknown { device: String, state: String },
    #[error(
        "The relay cannot reach its shared state ({state}) to record the pin of {device}: nothing was pinned. Try again in a minute; if this lasts, tell the operator."
    )]
    PinNotSaved {
        device: String,
        state: String,
        detail: String,
    },
    #[error(
        "The relay's shared state ({state}) has lost the pins users made (or was never initialised), so {}. Tell the operator: the relay's log says how to restore it.",
        lost_means(*.pinning)
    )]
    PinsLost {
        device: String,
        state: String,
        /// A pin was refused (else a call).
        pinning: bool,
    },
    #[error(
        "The pin stored for {device} in the relay's shared state ({state}) is not one the relay wrote: {why}. The relay does not dial {device} until the operator removes or checks that pin. Tell the operator."
    )]
    PinRefused {
        device: String,
        state: String,
        why: String,
    },
    #[error("The relay failed unexpectedly. Its log has the details.")]
    Internal(String),
}

/// What a store that lost its pins means for a call (`pinning`: for a pin), as the end of
/// its sentence.
fn lost_means(pinning: bool) -> &'static str {
    if pinning {
        "nobody can pin until the operator restores it or re-initialises it"
    } else {
        "it does not dial this device, whose pin may have been among them, until the operator restores it"
    }
}

/// What a budget keeps beyond a held call's limit, as the end of its sentence.
fn kept_for_token_calls(kept: u32) -> String {
    match kept {
        0 => String::new(),
        n => format!(" (and {n} more kept for sign-ins and renewals)"),
    }
}

impl RelayError {
    /// Stable machine-readable code (the wire type lives in `shared`).
    pub fn code(&self) -> RelayErrorCode {
        match self {
            RelayError::UnknownDevice(_) => RelayErrorCode::UnknownDevice,
            RelayError::Unreachable { .. } => RelayErrorCode::DeviceUnreachable,
            RelayError::DnsFailure { .. } => RelayErrorCode::DnsFailure,
            RelayError::PinMismatch { .. } => RelayErrorCode::PinMismatch,
            RelayError::UntrustedCertificate { .. } => RelayErrorCode::UntrustedCertificate,
            RelayError::Timeout { .. } => RelayErrorCode::Timeout,
            RelayError::BodyTooLarge { .. } | RelayError::ReplyTooLarge { .. } => {
                RelayErrorCode::BodyTooLarge
            }
            RelayError::ForbiddenTarget(_) | RelayError::NotAdmitted(_) => {
                RelayErrorCode::ForbiddenTarget
            }
            RelayError::BadRequest(_) | RelayError::BodyTooSlow { .. } => {
                RelayErrorCode::BadRequest
            }
            RelayError::MethodNotAllowed { .. } => RelayErrorCode::MethodNotAllowed,
            RelayError::Internal(_) => RelayErrorCode::Internal,
            RelayError::AccessKeyRequired => RelayErrorCode::AccessKeyRequired,
            RelayError::AccessKeyWrong { .. } => RelayErrorCode::AccessKeyWrong,
            RelayError::RateLimited { .. } => RelayErrorCode::RateLimited,
            RelayError::Overloaded { .. } | RelayError::ClientOverShare { .. } => {
                RelayErrorCode::Overloaded
            }
            RelayError::HostNotAllowed(_) => RelayErrorCode::HostNotAllowed,
            RelayError::OriginNotAllowed(_) => RelayErrorCode::OriginNotAllowed,
            RelayError::TofuDisabled(_) => RelayErrorCode::TofuDisabled,
            RelayError::TrustConflict { .. } => RelayErrorCode::TrustConflict,
            RelayError::BudgetPerMinute { .. } | RelayError::BudgetConcurrent { .. } => {
                RelayErrorCode::DeviceBudget
            }
            RelayError::PinsUnknown { .. }
            | RelayError::PinNotSaved { .. }
            | RelayError::PinsLost { .. }
            | RelayError::PinRefused { .. } => RelayErrorCode::StateUnavailable,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            RelayError::UnknownDevice(_) => StatusCode::NOT_FOUND,
            RelayError::Unreachable { .. }
            | RelayError::DnsFailure { .. }
            | RelayError::PinMismatch { .. }
            | RelayError::UntrustedCertificate { .. }
            | RelayError::ReplyTooLarge { .. } => StatusCode::BAD_GATEWAY,
            RelayError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            RelayError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            RelayError::BodyTooSlow { .. } => StatusCode::REQUEST_TIMEOUT,
            RelayError::ForbiddenTarget(_)
            | RelayError::NotAdmitted(_)
            | RelayError::HostNotAllowed(_)
            | RelayError::OriginNotAllowed(_)
            | RelayError::TofuDisabled(_) => StatusCode::FORBIDDEN,
            RelayError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RelayError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            RelayError::AccessKeyRequired | RelayError::AccessKeyWrong { .. } => {
                StatusCode::UNAUTHORIZED
            }
            RelayError::RateLimited { .. }
            | RelayError::BudgetPerMinute { .. }
            | RelayError::BudgetConcurrent { .. } => StatusCode::TOO_MANY_REQUESTS,
            RelayError::Overloaded { .. }
            | RelayError::ClientOverShare { .. }
            | RelayError::PinsUnknown { .. }
            | RelayError::PinNotSaved { .. }
            | RelayError::PinsLost { .. }
            | RelayError::PinRefused { .. } => StatusCode::SERVICE_UNAVAILABLE,
            RelayError::TrustConflict { .. } => StatusCode::CONFLICT,
            RelayError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn device(&self) -> Option<String> {
        match self {
            RelayError::UnknownDevice(device)
            | RelayError::Unreachable { device, .. }
            | RelayError::DnsFailure { device, .. }
            | RelayError::PinMismatch { device, .. }
            | RelayError::UntrustedCertificate { device, .. }
            | RelayError::Timeout { device, .. }
            | RelayError::ReplyTooLarge { device, .. }
            | RelayError::TofuDisabled(device)
            | RelayError::TrustConflict { device, .. }
            | RelayError::BudgetPerMinute { device, .. }
            | RelayError::BudgetConcurrent { device, .. }
            | RelayError::PinsUnknown { device, .. }
            | RelayError::PinNotSaved { device, .. }
            | RelayError::PinsLost { device, .. }
            | RelayError::PinRefused { device, .. } => Some(device.clone()),
            _ => None,
        }
    }

    /// What only the log may see.
    pub(crate) fn detail(&self) -> Option<String> {
        match self {
            RelayError::Unreachable { detail, .. }
            | RelayError::DnsFailure { detail, .. }
            | RelayError::UntrustedCertificate { detail, .. }
            | RelayError::PinNotSaved { detail, .. }
            | RelayError::Internal(detail) => Some(detail.clone()),
            RelayError::AccessKeyWrong { client } => Some(format!("client {client}")),
            _ => None,
        }
    }

    pub(crate) fn retry_after_secs(&self) -> Option<u64> {
        match self {
            RelayError::RateLimited { retry_after_secs }
            | RelayError::Overloaded { retry_after_secs }
            | RelayError::ClientOverShare {
                retry_after_secs, ..
            }
            | RelayError::BudgetPerMinute {
                retry_after_secs, ..
            }
            | RelayError::BudgetConcurrent {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_call_is_told_what_the_budget_keeps_for_token_calls() {
        let held = RelayError::BudgetPerMinute {
            device: "lab".into(),
            limit: 110,
            kept: 5,
            retry_after_secs: 3,
        };
        assert!(
            held.to_string().contains(
                "under 110 requests a minute to it (and 5 more kept for sign-ins and renewals),"
            ),
            "{held}"
        );
        let token = RelayError::BudgetConcurrent {
            device: "lab".into(),
            limit: 9,
            kept: 0,
            retry_after_secs: 1,
        };
        assert!(
            token
                .to_string()
                .contains("at most 9 calls to it in progress at once, so")
        );
        assert_eq!(token.code(), RelayErrorCode::DeviceBudget);
        assert_eq!(token.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
