//! The request-parsing pieces of the simulated devices as plain functions over bytes and
//! strings, gathered for property tests and fuzz targets (`cargo fuzz` can call them without
//! a server or a runtime). Each is the function the devices themselves use; `properties`
//! (tests, and the fuzz target with the `fuzzing` feature) checks their promises.

#[cfg(any(test, feature = "fuzzing"))]
pub mod properties;

pub use crate::basic::basic_credentials_from;
pub use crate::bigip::{NodeCommand, NodeRef, valid_node_name};
pub use crate::bigiq::login_provider;
pub use crate::fmc::PageRequest;
pub use crate::paths::without_trailing_slash;
pub use crate::payload::{PayloadError, declared_length, json_body};
pub use crate::query::{query_param, query_params};
