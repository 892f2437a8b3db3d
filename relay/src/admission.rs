//! What lets a request in, and what it holds while it runs: the in-flight cap on the API
//! (`shedding`: past `limits.max_in_flight`, `503 overloaded` at once), each client's fair
//! share of that cap and of the connection cap (`fair_share`), each device's rate
//! budget (`budget`: `429 device_budget`, the call never sent), the request body's deadline
//! (`deadline`), and the one body type that keeps what was admitted — an in-flight permit, a
//! budget slot — until the reply has been passed on (`held`).
//!
//! Below the routes and the server, which both admit; above the inventory and the replicas'
//! store, which budgets count in. Refusals are this folder's own types (`Shed`, `OverBudget`,
//! `BodyTooSlow`); `crate::error` turns them into relay errors.

pub mod budget;
pub mod deadline;
pub mod fair_share;
pub mod held;
pub mod shedding;
