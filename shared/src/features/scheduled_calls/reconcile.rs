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

use super::callback::schedule_callback;
use super::repo::reconcile as repo;
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{CallStatus, ScheduledCall, ScheduledCallStatus};
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
    let mut report = ReconcileReport::default();
    for scheduled in repo::placed_unsettled(db, now - SETTLE_AFTER, BATCH).await? {
        settle_placed(db, &scheduled, now, &mut report).await?;
    }
    let abandoned = repo::fail_abandoned(db, now - ABANDONED_AFTER, ABANDONED, now).await?;
    report.expired += usize::try_from(abandoned).unwrap_or(usize::MAX);
    if report != ReconcileReport::default() {
        tracing::warn!(?report, "settled scheduled calls stuck in processing");
    }
    Ok(report)
}

/// Ends a placed call whose final callback is late: from its call
/// record's final status, with a callback when it went unanswered; failed
/// once no call can still be going on.
async fn settle_placed(
    db: &Db,
    scheduled: &ScheduledCall,
    now: DateTime<Utc>,
    report: &mut ReconcileReport,
) -> Result<()> {
    let record = match scheduled.call_id {
        Some(id) => repo::call_record_status(db, id).await?,
        None => None,
    }
    .unwrap_or_default();
    let final_status = record
        .status
        .as_deref()
        .filter(|status| CallStatus::parse(status).is_some_and(CallStatus::is_final));
    if let Some(final_status) = final_status {
        let outcome = CallOutcome::of_call(
            final_status,
            record.answered_by.as_deref(),
            record.voicemail_left,
        );
        let (end, message) = outcome.scheduled_end();
        if repo::end_processing(db, scheduled.id, end, message).await? {
            report.settled += 1;
            if outcome != CallOutcome::Answered {
                schedule_callback(db, scheduled, outcome, now).await?;
            }
        }
    } else if scheduled
        .updated_at
        .is_some_and(|t| t.to_chrono() < now - LONGEST_CALL)
    {
        let failed = ScheduledCallStatus::Failed;
        if repo::end_processing(db, scheduled.id, failed, Some(NO_FINAL_STATUS)).await? {
            report.expired += 1;
        }
    }
    Ok(())
}
