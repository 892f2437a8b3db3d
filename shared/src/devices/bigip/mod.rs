//! F5 BIG-IP (iControl REST with `tmos` tokens): login, extending a token's timeout, deleting
//! tokens, the token collection and its limit of 100, LTM nodes and transactions, the software
//! version. Calls are descriptions; replies are read by pure functions.

pub mod changes;
pub mod nodes;
mod profile;
pub mod tokens;
pub mod transaction;
pub mod user_uuid;
pub mod version;

pub use profile::{LOCAL_PROVIDER, PROFILE, RULES, login};
