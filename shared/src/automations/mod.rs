//! Automations: which calls are due (the plan), the evaluator that records
//! and enqueues them each tick, and (later) the API.

pub mod evaluator;
pub mod plan;
mod routes;

pub use routes::routes;
