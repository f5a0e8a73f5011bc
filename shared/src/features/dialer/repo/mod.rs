//! Every query and update the dialer makes, one file per collection it
//! writes (or group of reads):
//!
//! - `claims.rs`: a scheduled call's claim, lease and end (`scheduledcalls`);
//! - `calls.rs`: the `calls` document of a placed call;
//! - `allowance.rs`: subscriptions read, free calls spent and given back
//!   (`subscriptions`, `users`);
//! - `pacing.rs`: the shared calls-per-second slots (`dialerpacing`);
//! - `lookups.rs`: what the checks read beyond the store's generic reads;
//! - `frequency.rs`: each number's recent calls, for the frequency caps
//!   (`recipientcalls`).

pub mod allowance;
pub mod calls;
pub mod claims;
pub mod frequency;
pub mod lookups;
pub mod pacing;
