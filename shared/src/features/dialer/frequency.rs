//! The per-recipient frequency caps, checked right before a call is paid
//! for and placed: a number is called at most so many times in so many
//! days across all of a business's automations
//! ([`schedule::frequency_caps`](crate::schedule::frequency_caps)).
//!
//! - An automation's first attempt over the cap is deferred to the first
//!   instant the caps allow, or skipped with the reason when that is past
//!   `MAX_CALL_LATENESS_MINUTES` after it was due.
//! - A manual call (one without the evaluator's `dedupeKey`, even when it
//!   names an automation) is counted but never refused.
//! - A callback (a retry after no answer) is neither counted nor refused:
//!   it belongs to the call it retries.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson;

use super::repo::frequency::{self as repo};
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{ScheduledCall, User};
use crate::schedule::frequency_caps::FrequencyCaps;

/// The skipped call's `errorMessage`.
pub const SKIPPED_MESSAGE: &str = "Skipped: this number was already called as often as your calling limits allow, and the next allowed time was too late for this call.";

/// Compare-and-set attempts before giving way to the other dialers.
const TRIES: usize = 5;

/// Whether the call may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the cap: try again at this instant.
    Deferred(DateTime<Utc>),
    /// Over the cap until past the call's lateness: skipped.
    Skipped,
}

/// Checks and counts `call` to `to` (E.164) of `user` at `now`.
pub async fn reserve(
    db: &Db,
    call: &ScheduledCall,
    user: &User,
    to: &str,
    now: DateTime<Utc>,
    max_lateness: Duration,
) -> Result<Verdict> {
    if call.retry_count.is_some_and(|n| n.as_i64() > 0) {
        return Ok(Verdict::Allowed);
    }
    // Recorded by the evaluator (a `dedupeKey` naming its automation); a
    // manual call may name an automation too, and has no such key.
    let automated = call
        .dedupe_key
        .as_deref()
        .is_some_and(|key| !key.starts_with("manual:"));
    let caps = FrequencyCaps::from_preferences(user.preferences.as_ref());
    let keep = caps.remembered();
    if keep == 0 {
        return Ok(Verdict::Allowed);
    }
    let key = format!("{}:{to}", user.id.to_hex());
    for _ in 0..TRIES {
        let recent = repo::recent(db, &key).await?;
        // A delivery after transient trouble: this call is counted already.
        if recent.scheduled_calls.contains(&call.id) {
            return Ok(Verdict::Allowed);
        }
        if automated {
            let due = call.scheduled_time.map_or(now, |t| t.to_chrono());
            let verdict = automated_verdict(&caps, &recent.times, now, due, max_lateness);
            if verdict != Verdict::Allowed {
                return Ok(verdict);
            }
        } else if caps.next_allowed(&recent.times, now).is_some() {
            tracing::info!(scheduled_call = %call.id, "manual call over the frequency cap: placed, counted");
        }
        let at = bson::DateTime::from_chrono(now);
        if repo::record(db, &key, &recent, call.id, at, keep).await? {
            return Ok(Verdict::Allowed);
        }
    }
    // Other dialers keep winning for this number: look again shortly.
    Ok(Verdict::Deferred(now + Duration::minutes(1)))
}

/// Whether a call to `to` (E.164) of `user` at `now` would pass the caps:
/// what `POST /api/calls` tells the owner about a manual call.
pub async fn cap_passed(db: &Db, user: &User, to: &str, now: DateTime<Utc>) -> Result<bool> {
    let caps = FrequencyCaps::from_preferences(user.preferences.as_ref());
    if caps.remembered() == 0 {
        return Ok(false);
    }
    let recent = repo::recent(db, &format!("{}:{to}", user.id.to_hex())).await?;
    Ok(caps.next_allowed(&recent.times, now).is_some())
}

/// What the caps decide for an automation's call due at `due` and tried
/// at `now`, given the number's earlier calls at `times`: allowed,
/// deferred to the first instant the caps allow, or skipped when that is
/// more than `max_lateness` after `due`. [`reserve`] and the automation
/// preview both ask it.
pub fn automated_verdict(
    caps: &FrequencyCaps,
    times: &[DateTime<Utc>],
    now: DateTime<Utc>,
    due: DateTime<Utc>,
    max_lateness: Duration,
) -> Verdict {
    match caps.next_allowed(times, now) {
        None => Verdict::Allowed,
        Some(allowed) if allowed - due > max_lateness => Verdict::Skipped,
        Some(allowed) => Verdict::Deferred(allowed),
    }
}

/// When `user`'s business last called `to` (E.164), as the caps count
/// it: for the automation preview.
pub async fn recent_times(db: &Db, user: &User, to: &str) -> Result<Vec<DateTime<Utc>>> {
    let recent = repo::recent(db, &format!("{}:{to}", user.id.to_hex())).await?;
    Ok(recent.times)
}
