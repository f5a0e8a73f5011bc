//! Every query and update of scheduled calls beyond the store's generic
//! ones, one file per job:
//!
//! - `inserts.rs`: an automation's due calls (once each, under the unique
//!   `dedupeKey`) and manual calls;
//! - `sweep.rs`: missing, claiming and marking sent what the sweep hands
//!   to the dial queue;
//! - `handoff.rs`: the evaluator's hand-offs (`dialhandoffs`), and the
//!   calls of one left open;
//! - `reconcile.rs`: settling calls stuck in `processing`;
//! - `open.rs`: a contact's or number's open manual call, and its
//!   `manualOpenKey`;
//! - `api.rs`: a user's page of calls, cancelling one;
//! - `counts.rs`: an automation's counters;
//! - `recipient_calls.rs`: a number's recent calls (the frequency caps),
//!   read only.

pub mod api;
pub mod counts;
pub mod handoff;
pub mod inserts;
pub mod open;
pub mod recipient_calls;
pub mod reconcile;
pub mod sweep;

use chrono::{DateTime, Utc};
use mongodb::bson;

/// `instant` as stored.
fn at(instant: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(instant)
}
