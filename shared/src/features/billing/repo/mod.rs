//! Every MongoDB read and write of billing, one file per collection:
//!
//! - `subscriptions`, in [`subscriptions`]: the plan a user holds and the
//!   Stripe state copied onto it;
//! - `users`, in [`users`]: the Stripe ids and free minutes billing keeps
//!   on a user;
//! - `usage`, in [`usage`]: a customer's paid minutes per period;
//! - `calls`, in [`calls`]: the marks metering leaves on a call;
//! - `stripeevents`, in [`events`]: the ids of the Stripe events applied.
//!
//! The service files pass typed values; only these files spell field
//! names and update operators.

pub mod calls;
pub mod events;
pub mod subscriptions;
pub mod usage;
pub mod users;

/// How many recent calls a user's `meteredFreeMinutes` and a usage
/// document's `countedCalls` remember: enough for any retry, which comes
/// within minutes, while the documents stay small.
const REMEMBERED_CALLS: i32 = 100;

/// Whether a write lost to a unique index (E11000): a Stripe event applied
/// already, a usage document another call created first.
fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        _ => error.to_string().contains("E11000"),
    }
}
