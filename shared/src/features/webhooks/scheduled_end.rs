//! A placed call's outcome onto its scheduled call: ended once, and the
//! automation's callback rule asked once for the next attempt.
//!
//! Twilio does not order the answering-machine callback
//! (`AsyncAmdStatusCallback`) relative to the status callbacks, so a
//! machine may be reported after the final `completed` callback already
//! ended the scheduled call as answered. That is the one way a call's
//! outcome changes once it is final (its status and `answeredBy` each keep
//! their first value), so an end recorded as answered is corrected to the
//! unanswered one when the call's outcome says so. The end is then the
//! same whichever callback came first.
//!
//! Every step is a conditional update and the next attempt is recorded
//! under its `dedupeKey`, so repeated, late or concurrent callbacks leave
//! one end and one next attempt; a scheduled call that ended otherwise
//! (cancelled, failed already) is never moved, and one whose next attempt
//! exists (even cancelled since) does not get another.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;

use super::repo;
use crate::error::Result;
use crate::features::scheduled_calls::{schedule_callback, Callback};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{ScheduledCall, ScheduledCallStatus};
use crate::schedule::CallOutcome;

/// Ends the scheduled call `id` of the call `call_id`, which ended at
/// `ended_at` with `outcome`, and for an unanswered call asks for the next
/// attempt. Run on every callback once the call is final, so a webhook
/// that died half-way is finished by a repeat. Answers the scheduled
/// call's status afterwards and the next attempt (recorded now or before).
pub async fn end_scheduled_call(
    db: &Db,
    id: ObjectId,
    call_id: ObjectId,
    outcome: CallOutcome,
    ended_at: DateTime<Utc>,
) -> Result<(Option<String>, Option<Callback>)> {
    let (final_status, message) = outcome.scheduled_end();
    repo::end_processing(db, id, final_status, message).await?;
    if final_status == ScheduledCallStatus::Failed {
        // Ended as answered by this very call, which has since turned out
        // unanswered (a machine reported after `completed`). `completed`
        // is only ever left this way, so this happens at most once.
        if repo::correct_answered_end(db, id, call_id, final_status, message).await? {
            tracing::info!(scheduled_call = %id, call = %call_id, ?outcome, "late outcome: scheduled call no longer answered");
        }
    }
    let Some(ended) = store::find_by_id::<ScheduledCall>(db, id).await? else {
        return Ok((None, None));
    };
    let failed = ended.status == ScheduledCallStatus::Failed.as_str();
    // A message left ends the scheduled call completed, and the rule
    // still decides whether to call again (`callbackOn`).
    let callback = if failed || outcome == CallOutcome::VoicemailLeft {
        schedule_callback(db, &ended, outcome, ended_at).await?
    } else {
        None
    };
    Ok((Some(ended.status), callback))
}
