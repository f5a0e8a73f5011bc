//! Idempotency: a request sent again with the same `Idempotency-Key`
//! (header, checked by [`crate::http::IdempotencyKey`]) is answered what
//! the first answered, and done once. Used by the routes that place
//! calls (`POST /api/calls`, `POST /api/scheduled-calls`), where a
//! double-click or a client's retry would ring a customer twice. It has
//! no routes of its own.
//!
//! - `service.rs`: claiming a key, waiting for or replaying its answer;
//! - `repo.rs`: the `idempotencykeys` collection (ours), unique per user
//!   and key, kept 24 hours.

mod repo;
pub mod service;

pub use service::{once, Answer, Request};
