//! Why the inventory could not be built or changed.

use crate::replica_store::StateError;
use crate::trust::TrustError;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("device id {0:?} appears twice in the inventory")]
    Duplicate(String),
    #[error("device {id}: base URL {url} must be https")]
    NotHttps { id: String, url: String },
    #[error("device {id}: {source}")]
    Trust { id: String, source: TrustError },
    #[error("device {id}: the host of {url} cannot be dialled: {source}")]
    BadHost {
        id: String,
        url: String,
        source: url::ParseError,
    },
    #[error("no device {0:?}")]
    Unknown(String),
    #[error("device {0}: trust on first use is switched off on this relay (allow_tofu = false)")]
    TofuDisabled(String),
    #[error("device {0}: its trust is set by the operator; users may not pin it")]
    NotTofu(String),
    #[error("device {id}: already pinned to {fingerprint}; only the operator can replace a pin")]
    AlreadyPinned { id: String, fingerprint: String },
    #[error(
        "device {id}: the relay cannot tell whether a user pinned it ({state} is unreachable), so it does not dial it"
    )]
    PinsUnknown { id: String, state: String },
    #[error("device {id}: {loss}")]
    PinsLost {
        id: String,
        /// The store, without its password.
        state: String,
        /// The operator's message (`crate::replica_store::StateLoss`).
        loss: String,
        /// Refused a pin (else: refused a call).
        pinning: bool,
    },
    #[error(
        "device {id}: the pin stored for it in {state} is refused ({why}), so it is not dialled"
    )]
    PinRefused {
        id: String,
        state: String,
        why: String,
    },
    #[error("device {id}: saving its pin: {source}")]
    PinNotSaved { id: String, source: StateError },
}
