//! Per-device TLS trust: a CA, a pinned certificate or public-key fingerprint, or explicit
//! insecurity. `fingerprint` computes and parses `sha256:` fingerprints, `verifier` holds the
//! rustls verifiers that enforce a policy (and reads certificate failures back out of an error),
//! `probe` shows what a device presents without sending it anything, and `tls` makes every
//! client configuration from a policy's verifier (one provider, the system roots read once).
//!
//! This folder imports nothing else from the relay but `causes` (an error's chain of sources).

mod fingerprint;
mod policy;
pub mod probe;
pub mod tls;
mod verifier;

pub use fingerprint::{BadFingerprint, fingerprint, parse_fingerprint, spki_fingerprint};
pub use policy::{TrustError, TrustPolicy};
pub use verifier::{CertificateProblem, PinMismatch, certificate_problem, find_pin_mismatch};
