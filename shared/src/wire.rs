//! The relay⇄app contract: every type that crosses the relay's `/api`, and the headers both
//! sides must agree on. Lowest layer of `shared`: it imports nothing else from the crate but the
//! list of kinds (`crate::kind`).

pub mod adhoc;
pub mod budget;
pub mod forward;
pub mod headers;
pub mod inventory;
pub mod relay_error;
pub mod trust;

pub use crate::kind::DeviceKind;
pub use adhoc::AdHocRequest;
pub use budget::{Priority, RateBudget, RateLimit};
pub use forward::{ForwardPath, forward_path};
pub use inventory::{DeviceSummary, PAGE_INVENTORY_ID, PageInventory, RelayInfo, TrustSummary};
pub use relay_error::{ACCESS_KEY_HEADER, RELAY_ERROR_HEADER, RelayErrorBody, RelayErrorCode};
pub use trust::{CertificateProbe, TrustRequest, openssl_style};
