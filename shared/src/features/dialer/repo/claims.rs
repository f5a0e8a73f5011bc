//! A scheduled call from the dialer's side: claimed with a lease, linked
//! to the call being placed, and ended, deferred or handed back.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson};
use mongodb::options::ReturnDocument;

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store::{self, Update};
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// Claims the job's call for `lease`: one atomic update that only matches
/// a call not yet started (`pending`, `enqueuing`, `queued`) or one whose
/// dialer's lease ran out before `now`. Sets `status: processing`,
/// `leaseUntil`, `claimedAt`, `updatedAt` and counts `dialAttempts`;
/// answers the call as claimed, or `None` when nothing matched.
pub async fn take(
    db: &Db,
    job: &DialJob,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Option<ScheduledCall>> {
    let at = bson::DateTime::from_chrono(now);
    let not_started = ScheduledCallStatus::strings(&ScheduledCallStatus::NOT_STARTED);
    let update = Update::new()
        .set("status", ScheduledCallStatus::Processing)
        .set("leaseUntil", bson::DateTime::from_chrono(now + lease))
        .set("claimedAt", at)
        .inc("dialAttempts", 1)
        .stamped_at(at);
    let claimed = db
        .raw(ScheduledCall::COLLECTION)
        .find_one_and_update(
            doc! {
                "_id": job.scheduled_call_id,
                "userId": job.user_id,
                "$or": [
                    { "status": { "$in": not_started } },
                    { "status": ScheduledCallStatus::Processing, "leaseUntil": { "$lt": at } },
                ],
            },
            update.build(),
        )
        .return_document(ReturnDocument::After)
        .await?;
    claimed.map(store::decode).transpose()
}

/// Whether the job's call exists for its user.
pub async fn exists(db: &Db, job: &DialJob) -> Result<bool> {
    let found = db
        .raw(ScheduledCall::COLLECTION)
        .find_one(doc! { "_id": job.scheduled_call_id, "userId": job.user_id })
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(found.is_some())
}

/// Ends a claimed call with `final_status` (`completed`, `failed`,
/// `cancelled`, `missed`) and, for refusals and failures, the owner-facing
/// `error_message`; clears the lease, and the manual call's open key
/// (`model::scheduled_call::MANUAL_OPEN_KEY`). Fails with `NotFound` when the call
/// is gone.
pub async fn finish(
    db: &Db,
    id: ObjectId,
    final_status: ScheduledCallStatus,
    error_message: Option<&str>,
) -> Result<()> {
    let message = error_message.map_or(Bson::Null, |m| Bson::String(m.to_string()));
    let update = Update::new()
        .set("status", final_status)
        .set("errorMessage", message)
        .unset("leaseUntil")
        .unset(MANUAL_OPEN_KEY);
    store::update_one::<ScheduledCall>(db, doc! { "_id": id }, update).await
}

/// Hands a claimed call back after a transient failure: `queued` again,
/// lease cleared, so the job's redelivery claims it. Only a call still
/// `processing` goes back.
pub async fn release(db: &Db, id: ObjectId) -> Result<()> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Queued)
        .unset("leaseUntil");
    let filter = doc! { "_id": id, "status": ScheduledCallStatus::Processing };
    store::update_one::<ScheduledCall>(db, filter, update).await
}

/// Puts a claimed call back to `pending` at `at` (the recipient's next
/// allowed instant), for the evaluator's sweep to send again then.
pub async fn defer(db: &Db, id: ObjectId, at: DateTime<Utc>) -> Result<()> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Pending)
        .set("scheduledTime", bson::DateTime::from_chrono(at))
        .unset("leaseUntil")
        .unset("enqueueToken")
        .unset("enqueueClaimedAt");
    store::update_one::<ScheduledCall>(db, doc! { "_id": id }, update).await
}

/// Links the call document about to be placed (`callId`, `sessionId`)
/// while the lease still holds, so a dialer that dies after Twilio
/// accepted leaves a trace the next delivery finds.
pub async fn link_call(db: &Db, id: ObjectId, call_id: ObjectId, session_id: &str) -> Result<()> {
    let update = Update::new()
        .set("callId", call_id)
        .set("sessionId", session_id);
    store::update_one::<ScheduledCall>(db, doc! { "_id": id }, update).await
}

/// Twilio accepted the call: records its sid and drops the lease. The call
/// stays `processing` without a lease, which [`take`] never matches again:
/// from here on only the status webhook ends it.
pub async fn mark_placed(db: &Db, id: ObjectId, twilio_call_sid: &str) -> Result<()> {
    let now = bson::DateTime::now();
    let update = Update::new()
        .set("twilioCallSid", twilio_call_sid)
        .set("placedAt", now)
        .unset("leaseUntil")
        .stamped_at(now);
    store::update_one::<ScheduledCall>(db, doc! { "_id": id }, update).await
}

/// Undoes [`link_call`] after Twilio certainly did not place the call.
pub async fn unlink_call(db: &Db, id: ObjectId) -> Result<()> {
    let update = Update::new().unset("callId").unset("sessionId");
    store::update_one::<ScheduledCall>(db, doc! { "_id": id }, update).await
}
