//! Scheduled calls: recorded once per due occurrence, then handed to the
//! dial queue by the sweep; listed, scheduled by hand and cancelled
//! through `/api/scheduled-calls`.
//!
//! - `routes.rs`: the `/api/scheduled-calls` handlers;
//! - `service.rs`: listing, checking and recording manual calls,
//!   cancelling;
//! - `open_calls.rs`: one open manual call per contact or number;
//! - `record.rs`: recording due calls exactly once;
//! - `handoff.rs`: recording the evaluator's due calls and sending those
//!   due now at once, with what a stopped evaluator leaves resent;
//! - `sweep.rs`: handing due calls to the dial queue;
//! - `reconcile.rs`: settling calls stuck in `processing`;
//! - `callback.rs`: the next attempt of an unanswered call;
//! - `repo/`: every query and update of scheduled calls, one file per job;
//! - `view.rs`: the JSON shape the API answers with.

pub mod callback;
pub mod handoff;
mod open_calls;
pub mod reconcile;
pub mod record;
pub mod repo;
mod routes;
pub mod service;
pub mod sweep;
pub mod view;

pub use crate::model::NewScheduledCall;
pub use callback::{schedule_callback, Callback};
pub use handoff::record_and_send;
pub use record::{record_all, RecordReport};
pub use routes::routes;
pub use service::{ManualCall, NewManualCall, ScheduledCallQuery};
pub use sweep::{enqueue_due, send_claimed, SweepReport};
pub use view::ScheduledCallView;
