//! The relay's endpoints, one `router()` per family, merged in [`crate::app`]:
//! `devices` (the inventory, ad-hoc devices, `/api/info`), `trust` (probe and pin),
//! `forward` (one call to one device, in phases), `ops` (`/healthz`, `/metrics`), and
//! `app_files` (the console). `extract` holds the extractors whose rejections are relay errors.

pub mod app_files;
pub mod devices;
pub mod extract;
pub mod forward;
pub mod ops;
pub mod trust;
