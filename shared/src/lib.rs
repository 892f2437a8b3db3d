//! Tokendeck's functional core, compiled for native and wasm32, in three layers — each imports
//! only the ones before it — over the list of kinds ([`kind`]: `DeviceKind`):
//!
//! - [`wire`]: the relay⇄app contract (inventory, relay errors, trust on first use, ad-hoc
//!   devices, the forward path) and the headers every kind may use.
//! - [`session`]: the kind-neutral token lifecycle machine, leases, the device-clock estimate and
//!   the pacing of rate-limited devices; what a kind allows arrives as `RenewalRules` data.
//! - [`devices`]: each kind's protocol (BIG-IP, BIG-IQ, FMC) as call descriptions and reply
//!   readers, and everything else a kind means as data (its `Profile`), matched on the kind once
//!   (`devices::profile`).
//!
//! [`curl`] ("copy as curl") and [`explorer`] (the Explorer's model) sit on top, and above everything `properties`: the promises of
//! the lifecycle and of "copy as curl" as checks over any input, for the property tests and
//! the fuzz targets in `fuzz/` (feature `fuzzing`). Nothing here does I/O or reads a clock:
//! time is always passed in, so every decision is unit-tested natively with
//! `cargo test -p shared`.

pub mod curl;
pub mod devices;
pub mod explorer;
pub mod kind;
#[cfg(any(test, feature = "fuzzing"))]
pub mod properties;
pub mod session;
pub mod wire;
