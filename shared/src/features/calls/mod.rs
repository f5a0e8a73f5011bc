//! Calls: the `calls` documents the dialer and the webhooks write, read
//! through `/api/calls`: listed with filters, read with transcript and
//! analysis, follow-ups marked done, a contact called now, and the
//! dashboard's numbers.
//!
//! - `routes.rs`: the handlers and their OpenAPI annotations;
//! - `service.rs`: the list, one call, and the follow-up write;
//! - `query.rs`: the list's and the stats' query parameters, checked and
//!   read into a typed filter;
//! - `follow_up.rs`: the follow-up patch and the analysis fields it sets;
//! - `stats.rs`: the dashboard's numbers;
//! - `place.rs`: call a contact now (a manual scheduled call, queued);
//! - `repo.rs`: every query and write: filters, the page, the stats'
//!   aggregation, the follow-up update;
//! - `stored.rs`: a stored call with the dialer's extra fields;
//! - `transcript.rs`, `view.rs`: the JSON a call is answered with.

mod follow_up;
mod place;
mod query;
mod repo;
mod routes;
mod service;
mod stats;
mod stored;
mod transcript;
mod view;

pub use follow_up::FollowUpPatch;
pub use place::{place_now, CallNow};
pub use query::CallQuery;
pub use repo::CallFilter;
pub use routes::routes;
pub use service::{get, list, mark_follow_up};
pub use stats::{stats, CallStats, StatsQuery};
pub use stored::StoredCall;
pub use transcript::{transcript, TranscriptTurn};
pub use view::{CallDetail, CallSummary, ParticipantView};
