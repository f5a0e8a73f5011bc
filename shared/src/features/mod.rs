//! The features: one folder per resource or job. Each keeps the same
//! files: `routes.rs` (handlers and their OpenAPI annotations),
//! `service.rs` (the logic, plain async functions), `repo.rs` (every
//! MongoDB read and write of its collections) and `view.rs` (response
//! shapes). Features import each other only along the one-way graph in
//! `docs/architecture.md`, which the architecture test keeps.

pub mod apple_subscriptions;
pub mod auth;
pub mod automations;
pub mod billing;
pub mod caller_ids;
pub mod calls;
pub mod contact_lists;
pub mod contacts;
pub mod dialer;
pub mod do_not_call;
pub mod evaluator;
pub mod feedback;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod me;
pub mod membership;
pub mod recordings;
pub mod scheduled_calls;
pub mod webhooks;
