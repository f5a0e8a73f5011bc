//! The dialer: places one scheduled call per dial job.
//!
//! The flow for each [`crate::queue::DialJob`]:
//!
//! 1. [`claim::claim`]: one atomic `find_one_and_update` moves the call to
//!    `processing` with a lease, so a job delivered twice, two dialers at
//!    once, or a call cancelled meanwhile dial at most once. A dialer that
//!    died mid-call leaves an expired lease, which the next delivery takes
//!    over.
//! 2. [`checks::preflight`]: loads the user, the contact and the caller
//!    IDs, and refuses with an owner-facing message (no verified caller ID,
//!    no minutes, contact inactive or opted out) or defers (outside the
//!    recipient's quiet hours).
//! 3. Place the call through Twilio (later; not in this module yet).
//! 4. Record the outcome: [`claim::finish`] with a final status (and the
//!    refusal's message), or [`claim::release`] after a transient failure so
//!    the job's redelivery claims it again.

pub mod checks;
pub mod claim;

pub use checks::{preflight, Ready, Refusal};
pub use claim::{claim, finish, release, Claim};
