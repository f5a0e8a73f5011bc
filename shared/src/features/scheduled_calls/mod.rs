//! Scheduled calls: recorded once per due occurrence, then handed to the
//! dial queue by the sweep; listed, scheduled by hand and cancelled
//! through `/api/scheduled-calls`.

pub mod callback;
pub mod reconcile;
pub mod record;
mod routes;
pub mod service;
pub mod sweep;
pub mod view;

pub use crate::model::NewScheduledCall;
pub use callback::{schedule_callback, Callback};
pub use record::{record_all, RecordReport};
pub use routes::routes;
pub use service::{ManualCall, NewManualCall, ScheduledCallQuery};
pub use sweep::{enqueue_due, send_claimed, SweepReport};
pub use view::ScheduledCallView;
