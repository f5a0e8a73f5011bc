//! The evaluator's hand-offs (`super::super::handoff`): one document in
//! `dialhandoffs` per batch of calls recorded `queued` whose jobs may not
//! all be on the dial queue yet, opened before the insert and closed once
//! the queue answered; the calls of a hand-off left open, read back as
//! dial jobs; calls the queue refused, handed back to `pending`.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};

use super::at;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store::Update;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus, DIAL_HANDOFFS};

/// When a hand-off was opened, or last taken over.
const OPENED_AT: &str = "openedAt";

/// Opens hand-off `token` at `now`.
pub async fn open(db: &Db, token: ObjectId, now: DateTime<Utc>) -> Result<()> {
    db.raw(DIAL_HANDOFFS)
        .insert_one(doc! { "_id": token, OPENED_AT: at(now) })
        .await?;
    Ok(())
}

/// Closes hand-off `token`: every job of its calls reached the queue, or
/// its call went back to `pending`.
pub async fn close(db: &Db, token: ObjectId) -> Result<()> {
    db.raw(DIAL_HANDOFFS)
        .delete_one(doc! { "_id": token })
        .await?;
    Ok(())
}

/// Takes over one hand-off opened (or last taken over) before
/// `stale_before`, re-stamping it `now` so no other pass takes it too;
/// `None` when there is none.
pub async fn take_stale(
    db: &Db,
    stale_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<ObjectId>> {
    let taken = db
        .raw(DIAL_HANDOFFS)
        .find_one_and_update(
            doc! { OPENED_AT: { "$lt": at(stale_before) } },
            Update::new().set(OPENED_AT, at(now)).build(),
        )
        .await?;
    Ok(taken.and_then(|handoff| handoff.get_object_id("_id").ok()))
}

/// The filter for calls of hand-off `token` not yet taken by a dialer.
fn still_queued(token: ObjectId) -> Document {
    doc! { "enqueueToken": token, "status": ScheduledCallStatus::Queued }
}

/// The calls of hand-off `token` still `queued`, as dial jobs.
pub async fn queued_jobs(db: &Db, token: ObjectId) -> Result<Vec<DialJob>> {
    let documents: Vec<Document> = db
        .raw(ScheduledCall::COLLECTION)
        .find(still_queued(token))
        .projection(doc! { "_id": 1, "userId": 1, "scheduledTime": 1 })
        .await?
        .try_collect()
        .await?;
    Ok(documents
        .iter()
        .filter_map(|call| {
            Some(DialJob {
                scheduled_call_id: call.get_object_id("_id").ok()?,
                user_id: call.get_object_id("userId").ok()?,
                scheduled_time: call.get_datetime("scheduledTime").ok()?.to_chrono(),
            })
        })
        .collect())
}

/// The queue refused the calls `ids` of hand-off `token`: `pending`
/// again, unclaimed, for the sweep's next tick.
pub async fn hand_back(db: &Db, token: ObjectId, ids: &[ObjectId]) -> Result<()> {
    let mut filter = doc! { "_id": { "$in": ids } };
    filter.extend(still_queued(token));
    let update = Update::new()
        .set("status", ScheduledCallStatus::Pending)
        .unset("enqueueToken")
        .unset("enqueueClaimedAt")
        .unset("queuedAt");
    db.raw(ScheduledCall::COLLECTION)
        .update_many(filter, update.build())
        .await?;
    Ok(())
}
