//! The sweep: hands every pending call whose time has come to the dial
//! queue, once, and resends the calls of the evaluator's hand-offs left
//! open ([`super::handoff`]).
//!
//! Claiming is one `update_many` that stamps the calls with this sweep's
//! token, so two evaluators never send the same call. A claim older than
//! [`STALE_CLAIM`] (an evaluator that died between claiming and sending)
//! is taken over. Calls the queue refused go back to `pending` for the
//! next tick; calls too late to place are marked `missed`.

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::oid::ObjectId;

use super::repo::sweep as repo;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::{DialJob, DialQueue};

/// A claim this old was abandoned.
pub const STALE_CLAIM: Duration = Duration::minutes(5);
/// Jobs sent, and marked queued, per round.
const BATCH: usize = 1000;
/// The owner-facing reason a call was missed.
pub const MISSED_MESSAGE: &str =
    "The call was not placed in time: its scheduled time passed while the service was unavailable.";

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub enqueued: usize,
    pub failed: usize,
    pub missed: usize,
}

/// Resends the calls of abandoned hand-offs, marks calls due longer than
/// `max_lateness` ago as missed, then claims with `token` and enqueues
/// every other due call.
pub async fn enqueue_due(
    db: &Db,
    queue: &DialQueue,
    now: DateTime<Utc>,
    max_lateness: Duration,
    token: ObjectId,
) -> Result<SweepReport> {
    let mut report = super::handoff::resend_stale(db, queue, now).await?;
    let missed = repo::mark_missed(db, now - max_lateness, MISSED_MESSAGE, now).await?;
    report.missed += usize::try_from(missed).unwrap_or(usize::MAX);

    repo::claim_due(db, token, now, now - STALE_CLAIM).await?;
    let mut claimed =
        repo::claimed_jobs(db, token, u32::try_from(BATCH).unwrap_or(u32::MAX)).await?;
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(job) = claimed.next().await? {
        batch.push(job);
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
    if !sent.sent.is_empty() {
        repo::mark_sent(db, token, &sent.sent).await?;
    }
    if !sent.failed.is_empty() {
        let failed: Vec<ObjectId> = sent.failed.iter().map(|(id, _)| *id).collect();
        repo::mark_unsent(db, token, &failed).await?;
    }
    report.enqueued += sent.sent.len();
    report.failed += sent.failed.len();
    Ok(())
}
