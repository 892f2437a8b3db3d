//! Every other part's refusal as a relay error, so handlers and the forward use `?`: the
//! inventory's, the admission's (shed, over budget), the ad-hoc policy's, the resolver's, the
//! probe's, a malformed fingerprint. (A JSON body's rejection is converted beside its
//! extractor, `crate::routes::extract`, which owns the API's body limit.)

use super::{RelayError, Unreachable};
use crate::admission::budget::OverBudget;
use crate::admission::shedding::Shed;
use crate::inventory::InventoryError;
use crate::inventory::adhoc::{AdHocRefused, is_adhoc_id};
use crate::inventory::resolve::ResolveError;
use crate::replica_store::StateError;
use crate::trust::probe::{ProbeError, ProbeFailure};
use crate::trust::{BadFingerprint, CertificateProblem};

impl From<InventoryError> for RelayError {
    fn from(err: InventoryError) -> Self {
        match err {
            InventoryError::Unknown(id) => RelayError::UnknownDevice(id),
            InventoryError::TofuDisabled(id) => RelayError::TofuDisabled(id),
            InventoryError::NotTofu(device) => RelayError::TrustConflict {
                device,
                detail: "its trust is set by the relay's operator (a CA, a pin, or not opened \
                         to trust on first use), so it cannot be pinned from the console. Ask \
                         the operator."
                    .into(),
            },
            InventoryError::AlreadyPinned { id, fingerprint } => RelayError::TrustConflict {
                device: id,
                detail: format!(
                    "it is already pinned to {fingerprint}. Only the relay's operator can \
                     replace a pin (in the relay's state file)."
                ),
            },
            InventoryError::PinsUnknown { id, state } => {
                RelayError::PinsUnknown { device: id, state }
            }
            InventoryError::PinNotSaved {
                id,
                source: StateError::Unreachable { url, message },
            } => RelayError::PinNotSaved {
                device: id,
                state: url,
                detail: message,
            },
            InventoryError::PinsLost {
                id, state, pinning, ..
            } => RelayError::PinsLost {
                device: id,
                state,
                pinning,
            },
            InventoryError::PinNotSaved {
                id,
                source: StateError::Lost { url },
            } => RelayError::PinsLost {
                device: id,
                state: url,
                pinning: true,
            },
            InventoryError::PinRefused { id, state, why } => RelayError::PinRefused {
                device: id,
                state,
                why,
            },
            other => RelayError::Internal(other.to_string()),
        }
    }
}

impl From<OverBudget> for RelayError {
    fn from(held: OverBudget) -> Self {
        match held {
            OverBudget::PerMinute {
                device,
                limit,
                kept,
                retry_after_secs,
            } => RelayError::BudgetPerMinute {
                device,
                limit,
                kept,
                retry_after_secs,
            },
            OverBudget::Concurrent {
                device,
                limit,
                kept,
                retry_after_secs,
            } => RelayError::BudgetConcurrent {
                device,
                limit,
                kept,
                retry_after_secs,
            },
        }
    }
}

impl From<Shed> for RelayError {
    fn from(shed: Shed) -> Self {
        match shed {
            Shed::Full { retry_after_secs } => RelayError::Overloaded { retry_after_secs },
            Shed::ClientShare {
                held,
                limit,
                retry_after_secs,
            } => RelayError::ClientOverShare {
                held,
                limit,
                retry_after_secs,
            },
        }
    }
}

impl From<BadFingerprint> for RelayError {
    fn from(err: BadFingerprint) -> Self {
        RelayError::BadRequest(err.to_string())
    }
}

impl From<AdHocRefused> for RelayError {
    fn from(refused: AdHocRefused) -> Self {
        RelayError::NotAdmitted(refused.0)
    }
}

impl From<&ResolveError> for RelayError {
    fn from(err: &ResolveError) -> Self {
        let detail = err.to_string();
        match err {
            ResolveError::Reserved { address, .. } => RelayError::NotAdmitted(format!(
                "its name resolves to {address}, a loopback, link-local or cloud metadata \
                 address, which the relay never dials for an ad-hoc device"
            )),
            ResolveError::Lookup { device, host, .. }
            | ResolveError::NoAddress { device, host } => RelayError::DnsFailure {
                device: device.clone(),
                host: host.clone(),
                detail,
            },
        }
    }
}

impl From<ResolveError> for RelayError {
    fn from(err: ResolveError) -> Self {
        (&err).into()
    }
}

impl From<ProbeError> for RelayError {
    fn from(err: ProbeError) -> Self {
        let detail = err.to_string();
        let (device, target) = (err.device, err.target);
        let ad_hoc = is_adhoc_id(&device);
        let unreachable = |why| RelayError::Unreachable {
            device: device.clone(),
            target: target.clone(),
            why: if ad_hoc { Unreachable::AdHoc } else { why },
            detail: detail.clone(),
        };
        match err.failure {
            ProbeFailure::Timeout(_) if ad_hoc => unreachable(Unreachable::AdHoc),
            ProbeFailure::Timeout(limit) => RelayError::Timeout {
                device,
                ms: limit.as_millis(),
            },
            ProbeFailure::Connect(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                unreachable(Unreachable::Refused)
            }
            ProbeFailure::Connect(_) => unreachable(Unreachable::Network),
            ProbeFailure::Handshake(_) => unreachable(Unreachable::NotHttp),
            ProbeFailure::ServerName(_) => unreachable(Unreachable::Network),
            ProbeFailure::NoCertificate | ProbeFailure::Unparsable(_) => {
                RelayError::UntrustedCertificate {
                    device,
                    problem: CertificateProblem::Invalid,
                    detail,
                }
            }
            ProbeFailure::Tls(_) => RelayError::Internal(detail),
        }
    }
}
