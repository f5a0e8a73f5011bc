//! Automations: which calls are due (the plan), the evaluator that records
//! and enqueues them each tick, and the `/api/automations` API.

pub mod input;
pub mod preview;
pub mod repo;
mod routes;
pub mod service;
pub mod view;

pub use input::AutomationInput;
pub use preview::Preview;
pub use routes::routes;
pub use view::AutomationView;
