//! Calls: the `calls` documents the dialer and the webhooks write, read
//! through `/api/calls`: listed with filters, read with transcript and
//! analysis, follow-ups marked done, a contact called now, and the
//! dashboard's numbers.

mod follow_up;
mod place;
mod query;
mod routes;
mod service;
mod stats;
mod stored;
mod transcript;
mod view;

pub use follow_up::FollowUpPatch;
pub use place::{place_now, CallNow};
pub use query::{CallQuery, STATUSES};
pub use routes::routes;
pub use service::{get, list, mark_follow_up};
pub use stats::{stats, CallStats, StatsQuery};
pub use stored::StoredCall;
pub use transcript::{transcript, TranscriptTurn};
pub use view::{CallDetail, CallSummary, ParticipantView};
