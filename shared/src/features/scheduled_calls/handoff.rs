//! Recording an automation's due calls and handing the ones placeable now
//! straight to the dial queue.
//!
//! The evaluator knows the calls it has just recorded. Left to the sweep,
//! each would be read back and written a second time (marked `queued`),
//! which costs a server more than its insert: SecantusDB rewrites every
//! index entry of an updated document. Instead each batch of calls is
//! recorded already `queued`, under the token of a hand-off, and their
//! jobs are built from what the evaluator holds: one insert per call, and
//! two small writes per batch.
//!
//! - **Once:** each occurrence is recorded once (the unique `dedupeKey`);
//!   one the index refused belongs to the pass that recorded it, and is not
//!   sent here. The dialer claims a call atomically, so a job delivered
//!   twice places it once.
//! - **Never lost:** a batch's hand-off (a `dialhandoffs` document) is
//!   opened before its insert and closed only once the queue has answered
//!   for every job: taken, or refused and its call handed back `pending`
//!   for the sweep's next tick. An evaluator that stops in between (the
//!   Lambda's timeout, a crash, a database error) leaves it open. Once it
//!   is older than [`STALE_CLAIM`], the sweep of a later pass
//!   ([`resend_stale`], from [`super::enqueue_due`]) takes it over and
//!   sends every call of it still `queued` again, then closes it; if that
//!   sweep stops too, the next one does. Jobs that had reached the queue
//!   are sent twice then, which the dialer's claim absorbs, as it does for
//!   the sweep's own stale claims.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;

use super::record::RecordReport;
use super::repo::{handoff as repo, inserts};
use super::sweep::{SweepReport, STALE_CLAIM};
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::{DialJob, DialQueue, SendReport};
use crate::model::{NewScheduledCall, ScheduledCallStatus};

/// Calls per hand-off: one `insert_many`, one open hand-off.
const BATCH: usize = 1000;

/// Records `calls` once each, as [`super::record_all`] does, and sends
/// those placeable now ([`NewScheduledCall::send_now`]) to `queue`, one
/// hand-off per [`BATCH`] calls.
pub async fn record_and_send(
    db: &Db,
    queue: &DialQueue,
    calls: &[NewScheduledCall],
    now: DateTime<Utc>,
) -> Result<RecordReport> {
    let mut report = RecordReport::default();
    for batch in calls.chunks(BATCH) {
        let to_send =
            |call: &NewScheduledCall| call.send_now && call.status == ScheduledCallStatus::Pending;
        if !batch.iter().any(to_send) {
            let recorded = inserts::insert_due(db, batch, None).await?;
            report.count(batch, &recorded);
            continue;
        }
        let token = ObjectId::new();
        repo::open(db, token, now).await?;
        let recorded = inserts::insert_due(db, batch, Some(token)).await?;
        report.count(batch, &recorded);
        let jobs: Vec<DialJob> = batch
            .iter()
            .zip(&recorded)
            .filter(|(call, _)| to_send(call))
            .filter_map(|(call, id)| {
                id.map(|id| DialJob {
                    scheduled_call_id: id,
                    user_id: call.user_id,
                    scheduled_time: call.scheduled_time,
                })
            })
            .collect();
        let sent = send(db, queue, token, &jobs).await?;
        report.enqueued += sent.sent.len();
        report.enqueue_failed += sent.failed.len();
    }
    Ok(report)
}

/// Sends `jobs` of hand-off `token`, hands back the calls the queue
/// refused, and closes the hand-off.
async fn send(db: &Db, queue: &DialQueue, token: ObjectId, jobs: &[DialJob]) -> Result<SendReport> {
    let sent = queue.send(jobs).await;
    if !sent.failed.is_empty() {
        let refused: Vec<ObjectId> = sent.failed.iter().map(|(id, _)| *id).collect();
        repo::hand_back(db, token, &refused).await?;
    }
    repo::close(db, token).await?;
    Ok(sent)
}

/// Takes over every hand-off left open for [`STALE_CLAIM`] (its
/// evaluator stopped before closing it) and sends again its calls still
/// `queued`.
pub async fn resend_stale(db: &Db, queue: &DialQueue, now: DateTime<Utc>) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    while let Some(token) = repo::take_stale(db, now - STALE_CLAIM, now).await? {
        let jobs = repo::queued_jobs(db, token).await?;
        tracing::warn!(handoff = %token, calls = jobs.len(), "resending an abandoned hand-off");
        let sent = send(db, queue, token, &jobs).await?;
        report.enqueued += sent.sent.len();
        report.failed += sent.failed.len();
    }
    Ok(report)
}
