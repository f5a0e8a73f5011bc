//! Recording due calls exactly once.
//!
//! Each occurrence has a `dedupeKey` (automation, contact, nominal due
//! instant, attempt) under a unique index. Two evaluators recording the
//! same occurrence, or one recording it twice, leave one document: the
//! second insert fails on the index and is counted as already recorded.

use mongodb::bson::oid::ObjectId;

use super::repo::inserts as repo;
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{NewScheduledCall, ScheduledCallStatus};

/// What recording did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordReport {
    pub recorded: usize,
    pub missed: usize,
    /// Already recorded by another pass or evaluator.
    pub duplicates: usize,
    /// Jobs the dial queue took ([`super::handoff::record_and_send`]).
    pub enqueued: usize,
    /// Jobs it refused: their calls are `pending` again for the sweep.
    pub enqueue_failed: usize,
}

impl RecordReport {
    /// Counts `calls` by what became of them: `recorded` holds the id each
    /// was recorded under, `None` where the `dedupeKey` refused it.
    pub(super) fn count(&mut self, calls: &[NewScheduledCall], recorded: &[Option<ObjectId>]) {
        for (call, id) in calls.iter().zip(recorded) {
            if id.is_none() {
                self.duplicates += 1;
            } else if call.status == ScheduledCallStatus::Missed {
                self.missed += 1;
            } else {
                self.recorded += 1;
            }
        }
    }
}

/// Records `calls` `pending` (or `missed`), skipping occurrences already
/// recorded; the sweep sends them when they are due.
pub async fn record_all(db: &Db, calls: &[NewScheduledCall]) -> Result<RecordReport> {
    let recorded = repo::insert_due(db, calls, None).await?;
    let mut report = RecordReport::default();
    report.count(calls, &recorded);
    Ok(report)
}
