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
use mongodb::bson::{self, doc, oid::ObjectId, Bson};

use crate::error::Result;
use crate::features::scheduled_calls::{schedule_callback, Callback};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::scheduled_call::status as scheduled;
use crate::model::{Record, ScheduledCall};
use crate::schedule::call_status::scheduled_outcome;
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
    let (final_status, message) = scheduled_outcome(outcome);
    let set = doc! {
        "status": final_status,
        "errorMessage": message.map_or(Bson::Null, |m| Bson::String(m.to_string())),
        "updatedAt": bson::DateTime::now(),
    };
    let collection = db.raw(ScheduledCall::COLLECTION);
    collection
        .update_one(
            doc! { "_id": id, "status": scheduled::PROCESSING },
            doc! { "$set": set.clone(), "$unset": { "leaseUntil": "" } },
        )
        .await?;
    if final_status == scheduled::FAILED {
        // Ended as answered by this very call, which has since turned out
        // unanswered (a machine reported after `completed`). `completed`
        // is only ever left this way, so this happens at most once.
        let corrected = collection
            .update_one(
                doc! { "_id": id, "status": scheduled::COMPLETED, "callId": call_id },
                doc! { "$set": set },
            )
            .await?;
        if corrected.modified_count == 1 {
            tracing::info!(scheduled_call = %id, call = %call_id, ?outcome, "late outcome: scheduled call no longer answered");
        }
    }
    let Some(ended) = store::find_by_id::<ScheduledCall>(db, id).await? else {
        return Ok((None, None));
    };
    let callback = if outcome.wants_callback() && ended.status == scheduled::FAILED {
        schedule_callback(db, &ended, outcome, ended_at).await?
    } else {
        None
    };
    Ok((Some(ended.status), callback))
}
