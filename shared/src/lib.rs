//! Tokendeck's functional core: the serde wire types exchanged between the relay and the app,
//! and the pure decisions both sides make: reading device replies, token lifetimes and the token
//! lifecycle state machine (`lifecycle`), copy-as-curl (`curl`), the token list (`token_list`),
//! LTM nodes (`nodes`) and user UUIDs.
//!
//! Nothing here does I/O or reads a clock: time is always passed in as epoch microseconds, so
//! every decision is unit-tested natively with `cargo test -p shared`.

pub mod bigip;
pub mod curl;

pub mod device_error;
pub mod lease;
pub mod lifecycle;
pub mod nodes;

pub mod token_list;
pub mod user_uuid;
pub mod wire;
