//! The sweep's writes: calls too late marked `missed`, due calls claimed
//! with a token, read back as dial jobs, then marked `queued` or handed
//! back to `pending`.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::Cursor;

use super::at;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store::Update;
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// Marks the calls still `pending` from before `due_before` as `missed`
/// with `message`, at `now`; answers how many.
pub async fn mark_missed(
    db: &Db,
    due_before: DateTime<Utc>,
    message: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Missed)
        .set("errorMessage", message)
        .unset(MANUAL_OPEN_KEY)
        .stamped_at(at(now));
    let missed = db
        .raw(ScheduledCall::COLLECTION)
        .update_many(
            doc! {
                "status": ScheduledCallStatus::Pending,
                "scheduledTime": { "$lt": at(due_before) },
            },
            update.build(),
        )
        .await?;
    Ok(missed.modified_count)
}

/// Claims for the sweep `token` every `pending` call due by `now`, and
/// every `enqueuing` one whose claim is older than `stale_before`.
pub async fn claim_due(
    db: &Db,
    token: ObjectId,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<()> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Enqueuing)
        .set("enqueueToken", token)
        .set("enqueueClaimedAt", at(now))
        .stamped_at(at(now));
    db.raw(ScheduledCall::COLLECTION)
        .update_many(
            doc! { "$or": [
                { "status": ScheduledCallStatus::Pending, "scheduledTime": { "$lte": at(now) } },
                {
                    "status": ScheduledCallStatus::Enqueuing,
                    "enqueueClaimedAt": { "$lt": at(stale_before) },
                },
            ] },
            update.build(),
        )
        .await?;
    Ok(())
}

/// The calls claimed with a sweep's token, read as dial jobs.
pub struct ClaimedJobs {
    cursor: Cursor<Document>,
}

impl ClaimedJobs {
    /// The next claimed call; documents missing a field are skipped.
    pub async fn next(&mut self) -> Result<Option<DialJob>> {
        while let Some(claimed) = self.cursor.try_next().await? {
            let (Ok(id), Ok(user_id), Ok(time)) = (
                claimed.get_object_id("_id"),
                claimed.get_object_id("userId"),
                claimed.get_datetime("scheduledTime"),
            ) else {
                continue;
            };
            return Ok(Some(DialJob {
                scheduled_call_id: id,
                user_id,
                scheduled_time: time.to_chrono(),
            }));
        }
        Ok(None)
    }
}

/// The calls `token` claimed (`enqueuing`), read `batch` at a time.
pub async fn claimed_jobs(db: &Db, token: ObjectId, batch: u32) -> Result<ClaimedJobs> {
    let cursor = db
        .raw(ScheduledCall::COLLECTION)
        .find(doc! { "enqueueToken": token, "status": ScheduledCallStatus::Enqueuing })
        .projection(doc! { "_id": 1, "userId": 1, "scheduledTime": 1 })
        .batch_size(batch)
        .await?;
    Ok(ClaimedJobs { cursor })
}

/// The filter for calls among `ids` still claimed by `token`.
fn still_claimed(token: ObjectId, ids: &[ObjectId]) -> Document {
    doc! {
        "_id": { "$in": ids },
        "enqueueToken": token,
        "status": ScheduledCallStatus::Enqueuing,
    }
}

/// The queue took the calls `ids`: `queued`.
pub async fn mark_sent(db: &Db, token: ObjectId, ids: &[ObjectId]) -> Result<()> {
    let now = bson::DateTime::now();
    let update = Update::new()
        .set("status", ScheduledCallStatus::Queued)
        .set("queuedAt", now)
        .stamped_at(now);
    db.raw(ScheduledCall::COLLECTION)
        .update_many(still_claimed(token, ids), update.build())
        .await?;
    Ok(())
}

/// The queue refused the calls `ids`: `pending` again, unclaimed.
pub async fn mark_unsent(db: &Db, token: ObjectId, ids: &[ObjectId]) -> Result<()> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Pending)
        .unset("enqueueToken")
        .unset("enqueueClaimedAt");
    db.raw(ScheduledCall::COLLECTION)
        .update_many(still_claimed(token, ids), update.build())
        .await?;
    Ok(())
}
