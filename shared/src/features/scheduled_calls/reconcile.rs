//! Scheduled calls stuck in `processing`, settled by the evaluator's pass.
//!
//! A placed call normally ends when Twilio's final status callback
//! arrives. If that callback was lost, or the webhook wrote the call's
//! final status and died before the scheduled call's, the owner would see
//! "processing" forever. Each pass settles those: from the call record's
//! final status when it has one, else as failed once no call can still be
//! going on. A claim whose dialer vanished (its lease long expired, no
//! delivery left to take it over) ends failed too.

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, Bson, Document};

use super::callback::schedule_callback;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::scheduled_call::status;
use crate::model::{Call, Record, ScheduledCall};
use crate::schedule::call_status;
use crate::schedule::CallOutcome;

/// A placed call's callback is this late before we look at its record.
pub const SETTLE_AFTER: Duration = Duration::minutes(15);
/// Twilio ends every call within four hours (its `TimeLimit` maximum).
pub const LONGEST_CALL: Duration = Duration::hours(4);
/// A claim's lease expired this long ago and nobody took it over.
pub const ABANDONED_AFTER: Duration = Duration::hours(1);
/// Calls settled per pass, at most.
const BATCH: i64 = 200;

pub const NO_FINAL_STATUS: &str = "We never heard back from the phone service about how this call ended. Please check the call history.";
pub const ABANDONED: &str = "This call could not be placed: the dialer stopped before finishing. Please check the call history before calling again.";

/// What [`settle_stuck`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Ended from their call record's final status.
    pub settled: usize,
    /// Ended failed: no final status, or an abandoned claim.
    pub expired: usize,
}

/// Settles the calls stuck in `processing` at `now`.
pub async fn settle_stuck(db: &Db, now: DateTime<Utc>) -> Result<ReconcileReport> {
    let collection = db.raw(ScheduledCall::COLLECTION);
    let mut report = ReconcileReport::default();
    let at = |d: DateTime<Utc>| bson::DateTime::from_chrono(d);

    let mut placed = collection
        .find(doc! {
            "status": status::PROCESSING,
            "leaseUntil": { "$exists": false },
            "updatedAt": { "$lt": at(now - SETTLE_AFTER) },
        })
        .limit(BATCH)
        .await?;
    while let Some(document) = placed.try_next().await? {
        let scheduled: ScheduledCall = store::decode(document)?;
        let record = match scheduled.call_id {
            Some(id) => {
                db.raw(Call::COLLECTION)
                    .find_one(doc! { "_id": id })
                    .await?
            }
            None => None,
        };
        let final_status = record
            .as_ref()
            .and_then(|r| r.get_str("status").ok())
            .filter(|s| call_status::is_final(s));
        if let Some(final_status) = final_status {
            let answered_by = record.as_ref().and_then(|r| r.get_str("answeredBy").ok());
            let outcome = CallOutcome::from_twilio(final_status, answered_by);
            let (end, message) = call_status::scheduled_outcome(outcome);
            if end_processing(db, &scheduled, end, message).await? {
                report.settled += 1;
                if outcome != CallOutcome::Answered {
                    schedule_callback(db, &scheduled, outcome, now).await?;
                }
            }
        } else if scheduled
            .updated_at
            .is_some_and(|t| t.to_chrono() < now - LONGEST_CALL)
            && end_processing(db, &scheduled, status::FAILED, Some(NO_FINAL_STATUS)).await?
        {
            report.expired += 1;
        }
    }

    let abandoned = collection
        .update_many(
            doc! {
                "status": status::PROCESSING,
                "leaseUntil": { "$lt": at(now - ABANDONED_AFTER) },
            },
            doc! {
                "$set": { "status": status::FAILED, "errorMessage": ABANDONED, "updatedAt": at(now) },
                "$unset": { "leaseUntil": "" },
            },
        )
        .await?;
    report.expired += usize::try_from(abandoned.modified_count).unwrap_or(usize::MAX);
    if report != ReconcileReport::default() {
        tracing::warn!(?report, "settled scheduled calls stuck in processing");
    }
    Ok(report)
}

/// Ends `scheduled` if it is still `processing` without a lease; `false`
/// when something else ended it meanwhile.
async fn end_processing(
    db: &Db,
    scheduled: &ScheduledCall,
    end: &str,
    message: Option<&str>,
) -> Result<bool> {
    let message = message.map_or(Bson::Null, |m| Bson::String(m.to_string()));
    let update: Document = doc! {
        "$set": { "status": end, "errorMessage": message, "updatedAt": bson::DateTime::now() },
    };
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": scheduled.id, "status": status::PROCESSING, "leaseUntil": { "$exists": false } },
            update,
        )
        .await?;
    Ok(result.modified_count == 1)
}
