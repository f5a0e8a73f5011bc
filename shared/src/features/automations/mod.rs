//! Automations: "call these contacts on a date, or N days from each one's
//! date, at a local time", and the `/api/automations` API over them (the
//! evaluator feature records and enqueues their calls each tick).
//!
//! - `routes`: the handlers and their OpenAPI annotations, thin over
//!   `service` and `preview`.
//! - `service`: create, read, update, delete, pause and activate.
//! - `input`: the body a client sends, and its limits.
//! - `validate`: the validation step, body → typed `changes`; its field
//!   rules are in `rules`, the timing's (merged with what is stored) in
//!   `timing`.
//! - `changes`: the typed, validated changes of an automation.
//! - `repo`: every query and update, and how each field is stored
//!   (changes → `$set`/`$unset`, the first-generation migration).
//! - `preview`: the calls an automation will place, as the evaluator will.
//! - `view`: the JSON shape of an automation.

pub mod changes;
pub mod input;
pub mod preview;
pub mod repo;
mod routes;
mod rules;
pub mod service;
mod timing;
pub mod validate;
pub mod view;

pub use changes::AutomationChanges;
pub use input::AutomationInput;
pub use preview::Preview;
pub use routes::routes;
pub use view::AutomationView;
