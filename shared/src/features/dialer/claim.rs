//! Claiming a scheduled call exactly once, and letting go of it.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson};
use mongodb::options::ReturnDocument;

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store;
use crate::model::scheduled_call::status;
use crate::model::{Record, ScheduledCall};

/// What [`claim`] found.
///
/// One value per dial job, returned and matched at once, never stored in
/// bulk: the unboxed call costs nothing worth an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// This dialer now holds the call (status `processing`, leased).
    Claimed(ScheduledCall),
    /// The call exists but is not ours to dial: another dialer holds a live
    /// lease, or it is completed, failed, cancelled or missed.
    AlreadyTaken,
    /// No such call for the job's user.
    NotFound,
}

/// Claims the job's call for `lease`: one atomic update that only matches
/// a call not yet started (`pending`, `enqueuing`, `queued`) or one whose
/// dialer's lease ran out before `now`. Sets `status: processing`,
/// `leaseUntil`, `claimedAt`, `updatedAt` and counts `dialAttempts`.
pub async fn claim(db: &Db, job: &DialJob, now: DateTime<Utc>, lease: Duration) -> Result<Claim> {
    let at = bson::DateTime::from_chrono(now);
    let until = bson::DateTime::from_chrono(now + lease);
    let collection = db.raw(ScheduledCall::COLLECTION);
    let claimed = collection
        .find_one_and_update(
            doc! {
                "_id": job.scheduled_call_id,
                "userId": job.user_id,
                "$or": [
                    { "status": { "$in": status::NOT_STARTED.to_vec() } },
                    { "status": status::PROCESSING, "leaseUntil": { "$lt": at } },
                ],
            },
            doc! {
                "$set": {
                    "status": status::PROCESSING,
                    "leaseUntil": until,
                    "claimedAt": at,
                    "updatedAt": at,
                },
                "$inc": { "dialAttempts": 1 },
            },
        )
        .return_document(ReturnDocument::After)
        .await?;
    if let Some(document) = claimed {
        return Ok(Claim::Claimed(store::decode(document)?));
    }
    let exists = collection
        .find_one(doc! { "_id": job.scheduled_call_id, "userId": job.user_id })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some();
    Ok(if exists {
        Claim::AlreadyTaken
    } else {
        Claim::NotFound
    })
}

/// Ends a claimed call with `final_status` (`completed`, `failed`,
/// `cancelled`, `missed`) and, for refusals and failures, the owner-facing
/// `error_message`; clears the lease. Fails with `NotFound` when the call
/// is gone.
pub async fn finish(
    db: &Db,
    id: ObjectId,
    final_status: &str,
    error_message: Option<&str>,
) -> Result<()> {
    let now = bson::DateTime::now();
    let message = error_message.map_or(Bson::Null, |m| Bson::String(m.to_string()));
    update(
        db,
        id,
        doc! {
            "$set": { "status": final_status, "errorMessage": message, "updatedAt": now },
            "$unset": { "leaseUntil": "" },
        },
    )
    .await
}

/// Hands a claimed call back after a transient failure: `queued` again,
/// lease cleared, so the job's redelivery claims it. Only a call still
/// `processing` goes back.
pub async fn release(db: &Db, id: ObjectId) -> Result<()> {
    let now = bson::DateTime::now();
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": id, "status": status::PROCESSING },
            doc! {
                "$set": { "status": status::QUEUED, "updatedAt": now },
                "$unset": { "leaseUntil": "" },
            },
        )
        .await?;
    if result.matched_count == 0 {
        return Err(crate::error::Error::NotFound {
            what: ScheduledCall::COLLECTION,
        });
    }
    Ok(())
}

async fn update(db: &Db, id: ObjectId, update: bson::Document) -> Result<()> {
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(doc! { "_id": id }, update)
        .await?;
    if result.matched_count == 0 {
        return Err(crate::error::Error::NotFound {
            what: ScheduledCall::COLLECTION,
        });
    }
    Ok(())
}

/// Puts a claimed call back to `pending` at `at` (the recipient's next
/// allowed instant), for the evaluator's sweep to send again then.
pub async fn defer(db: &Db, id: ObjectId, at: DateTime<Utc>) -> Result<()> {
    let now = bson::DateTime::now();
    update(
        db,
        id,
        doc! {
            "$set": {
                "status": status::PENDING,
                "scheduledTime": bson::DateTime::from_chrono(at),
                "updatedAt": now,
            },
            "$unset": { "leaseUntil": "", "enqueueToken": "", "enqueueClaimedAt": "" },
        },
    )
    .await
}

/// Links the call document about to be placed (`callId`, `sessionId`)
/// while the lease still holds, so a dialer that dies after Twilio
/// accepted leaves a trace the next delivery finds.
pub async fn link_call(db: &Db, id: ObjectId, call_id: ObjectId, session_id: &str) -> Result<()> {
    let now = bson::DateTime::now();
    update(
        db,
        id,
        doc! { "$set": { "callId": call_id, "sessionId": session_id, "updatedAt": now } },
    )
    .await
}

/// Twilio accepted the call: records its sid and drops the lease. The call
/// stays `processing` without a lease, which [`claim`] never matches again:
/// from here on only the status webhook ends it.
pub async fn mark_placed(db: &Db, id: ObjectId, twilio_call_sid: &str) -> Result<()> {
    let now = bson::DateTime::now();
    update(
        db,
        id,
        doc! {
            "$set": { "twilioCallSid": twilio_call_sid, "placedAt": now, "updatedAt": now },
            "$unset": { "leaseUntil": "" },
        },
    )
    .await
}

/// Undoes [`link_call`] after Twilio certainly did not place the call.
pub async fn unlink_call(db: &Db, id: ObjectId) -> Result<()> {
    let now = bson::DateTime::now();
    update(
        db,
        id,
        doc! { "$set": { "updatedAt": now }, "$unset": { "callId": "", "sessionId": "" } },
    )
    .await
}
