//! Caller IDs: the numbers a user proved they own, which their calls
//! leave from.
//!
//! - `GET /api/caller-ids`: both stores the old app used
//!   (`verifiedNumbers`, `users.twilioConfig.verifiedCallerIds`), verified
//!   or pending, and which one is the `preferredCallerID`;
//! - `POST /api/caller-ids`: starts Twilio's validation call and answers
//!   the code the user types; the number is recorded pending;
//! - `POST /webhooks/twilio/caller-id?userId=…`: Twilio's outcome
//!   (signature verified, see [`crate::features::webhooks`]) marks it verified in
//!   both stores, and preferred when the user has none;
//! - `POST /api/caller-ids/{phone}/refresh`: asks Twilio's list (the
//!   source of truth) whether the pending number is verified now;
//! - `DELETE /api/caller-ids/{phone}`: gone from both stores, from Twilio,
//!   and from `preferredCallerID`.
//!
//! Files:
//! - `routes`: the thin HTTP layer, with the OpenAPI annotations;
//! - `service`: what the routes and the callback do, and what other
//!   features ask ([`is_verified`]);
//! - `entry`: one caller ID, both stores merged; `twilio_config`: the
//!   store inside the user's document, read and rewritten in memory;
//! - `repo`: every MongoDB read and write of both stores;
//! - `view`: what the API shows.

mod entry;
pub mod repo;
mod routes;
pub mod service;
mod twilio_config;
mod view;

pub use routes::routes;
pub use service::{apply_callback, is_verified, CallbackOutcome, NewCallerId, CALLBACK_PATH};
pub use view::{CallerIdList, CallerIdView, ValidationStarted};
