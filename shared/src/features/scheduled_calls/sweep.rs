//! The sweep: hands every pending call whose time has come to the dial
//! queue, once.
//!
//! Claiming is one `update_many` that stamps the calls with this sweep's
//! token, so two evaluators never send the same call. A claim older than
//! [`STALE_CLAIM`] (an evaluator that died between claiming and sending)
//! is taken over. Calls the queue refused go back to `pending` for the
//! next tick; calls too late to place are marked `missed`.

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::{DialJob, DialQueue};
use crate::model::scheduled_call::status;
use crate::model::{Record, ScheduledCall};

/// A claim this old was abandoned.
pub const STALE_CLAIM: Duration = Duration::minutes(5);
/// Jobs sent, and marked queued, per round.
const BATCH: usize = 1000;

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub enqueued: usize,
    pub failed: usize,
    pub missed: usize,
}

/// Marks calls due longer than `max_lateness` ago as missed, then claims
/// with `token` and enqueues every other due call, including those
/// recorded already claimed with `token`.
pub async fn enqueue_due(
    db: &Db,
    queue: &DialQueue,
    now: DateTime<Utc>,
    max_lateness: Duration,
    token: ObjectId,
) -> Result<SweepReport> {
    let collection = db.raw(ScheduledCall::COLLECTION);
    let at = bson::DateTime::from_chrono(now);
    let mut report = SweepReport::default();

    let missed = collection
        .update_many(
            doc! {
                "status": status::PENDING,
                "scheduledTime": { "$lt": bson::DateTime::from_chrono(now - max_lateness) },
            },
            doc! { "$set": {
                "status": status::MISSED,
                "errorMessage": "The call was not placed in time: its scheduled time passed while the service was unavailable.",
                "updatedAt": at,
            } },
        )
        .await?;
    report.missed = usize::try_from(missed.modified_count).unwrap_or(usize::MAX);

    collection
        .update_many(
            doc! { "$or": [
                { "status": status::PENDING, "scheduledTime": { "$lte": at } },
                { "status": status::ENQUEUING, "enqueueClaimedAt": { "$lt": bson::DateTime::from_chrono(now - STALE_CLAIM) } },
            ] },
            doc! { "$set": { "status": status::ENQUEUING, "enqueueToken": token, "enqueueClaimedAt": at, "updatedAt": at } },
        )
        .await?;

    let mut cursor = collection
        .find(doc! { "enqueueToken": token, "status": status::ENQUEUING })
        .projection(doc! { "_id": 1, "userId": 1, "scheduledTime": 1 })
        .batch_size(u32::try_from(BATCH).unwrap_or(u32::MAX))
        .await?;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(claimed) = cursor.try_next().await? {
        let (Ok(id), Ok(user_id), Ok(time)) = (
            claimed.get_object_id("_id"),
            claimed.get_object_id("userId"),
            claimed.get_datetime("scheduledTime"),
        ) else {
            continue;
        };
        batch.push(DialJob {
            scheduled_call_id: id,
            user_id,
            scheduled_time: time.to_chrono(),
        });
        if batch.len() == BATCH {
            send(db, queue, token, &batch, &mut report).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        send(db, queue, token, &batch, &mut report).await?;
    }
    Ok(report)
}

/// Sends `jobs`, whose calls the caller claimed with `token` (status
/// `enqueuing`), the way the sweep sends its own: sent calls become
/// `queued`, refused ones go back to `pending` for the next sweep.
/// `POST /api/calls` hands its one call to the queue through here.
pub async fn send_claimed(
    db: &Db,
    queue: &DialQueue,
    token: ObjectId,
    jobs: &[DialJob],
) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    send(db, queue, token, jobs, &mut report).await?;
    Ok(report)
}

async fn send(
    db: &Db,
    queue: &DialQueue,
    token: ObjectId,
    jobs: &[DialJob],
    report: &mut SweepReport,
) -> Result<()> {
    let sent = queue.send(jobs).await;
    let collection = db.raw(ScheduledCall::COLLECTION);
    let now = bson::DateTime::now();
    if !sent.sent.is_empty() {
        collection
            .update_many(
                doc! { "_id": { "$in": &sent.sent }, "enqueueToken": token, "status": status::ENQUEUING },
                doc! { "$set": { "status": status::QUEUED, "queuedAt": now, "updatedAt": now } },
            )
            .await?;
    }
    if !sent.failed.is_empty() {
        let failed: Vec<ObjectId> = sent.failed.iter().map(|(id, _)| *id).collect();
        collection
            .update_many(
                doc! { "_id": { "$in": failed }, "enqueueToken": token, "status": status::ENQUEUING },
                doc! { "$set": { "status": status::PENDING, "updatedAt": now }, "$unset": { "enqueueToken": "", "enqueueClaimedAt": "" } },
            )
            .await?;
    }
    report.enqueued += sent.sent.len();
    report.failed += sent.failed.len();
    Ok(())
}
