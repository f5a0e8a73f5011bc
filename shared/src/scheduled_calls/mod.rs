//! Scheduled calls: recorded once per due occurrence, then handed to the
//! dial queue by the sweep.

pub mod callback;
pub mod record;
mod routes;
pub mod sweep;

pub use callback::{schedule_callback, Callback};
pub use record::{record_all, NewScheduledCall, RecordReport};
pub use routes::routes;
pub use sweep::{enqueue_due, SweepReport};
