//! The dialer: places one scheduled call per dial job (docs/dialing.md).
//!
//! The flow for each [`crate::infra::queue::DialJob`] ([`Dialer::dial`]):
//!
//! 1. [`claim::claim`]: one atomic `find_one_and_update` moves the call to
//!    `processing` with a lease, so a job delivered twice, two dialers at
//!    once, or a call cancelled meanwhile dial at most once. A dialer that
//!    died mid-call leaves an expired lease, which the next delivery takes
//!    over; if it had already linked a call document, the call is not
//!    dialed again.
//! 2. [`checks::preflight`]: loads the user, the contact and the caller
//!    IDs, and refuses with an owner-facing message (no verified caller ID,
//!    no minutes, contact inactive or opted out) or defers (outside the
//!    recipient's quiet hours).
//! 3. [`script::build`]: the call mode and the `aiConfig` the voice
//!    webhook answers TwiML from.
//! 4. [`pacing::Pacer`]: a slot within the account's calls per second;
//!    then [`frequency::reserve`]: the number's frequency caps (deferred
//!    or skipped when over, for an automation's call).
//! 5. The `calls` document ([`call_record`]) is written and linked, then
//!    Twilio's `Calls.json` places the call with our voice URL, status
//!    callback and answering-machine detection.
//! 6. The outcome: placed (the lease is dropped; the status webhook ends
//!    the call), refused (failed with the reason), or transient trouble
//!    (back to the queue with backoff, failed after the last attempt).
//!
//! The files: `dial.rs` (the flow above), `consumer.rs` (feeding it jobs
//! from SQS or in process), `claim.rs`, `checks.rs`, `allowance.rs` (what
//! pays for the call), `script.rs`, `pacing.rs`, `call_record.rs`, and
//! `repo/`, every query and update the dialer makes, one file per
//! collection.

pub mod allowance;
pub mod call_record;
pub mod checks;
pub mod claim;
pub mod consumer;
pub mod dial;
pub mod frequency;
pub mod pacing;
pub mod repo;
pub mod script;

pub use checks::{preflight, Ready, Refusal};
pub use claim::{claim, Claim};
pub use consumer::{run_in_process, sqs_batch, QueuedJob};
pub use dial::{Dialer, Disposition};
pub use repo::claims::{finish, release};
