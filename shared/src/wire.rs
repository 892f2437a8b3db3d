//! The relay⇄app contract: every type that crosses the relay's `/api`, and the header names
//! both sides must agree on. Lowest layer of `shared`: it imports nothing else from the crate.

pub mod adhoc;
pub mod headers;
pub mod inventory;
pub mod relay_error;
pub mod trust;

pub use adhoc::AdHocRequest;
pub use headers::SECRET_HEADERS;
pub use inventory::{
    DeviceKind, DeviceSummary, PAGE_INVENTORY_ID, PageInventory, RelayInfo, TrustSummary,
    forward_path,
};
pub use relay_error::{ACCESS_KEY_HEADER, RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode};
pub use trust::{CertificateProbe, TrustRequest, openssl_style};
