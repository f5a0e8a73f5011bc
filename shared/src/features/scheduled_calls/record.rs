//! Recording due calls exactly once.
//!
//! Each occurrence has a `dedupeKey` (automation, contact, nominal due
//! instant, attempt) under a unique index. Two evaluators recording the
//! same occurrence, or one recording it twice, leave one document: the
//! second insert fails on the index and is counted as already recorded.

use std::collections::HashSet;

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
}

/// Records `calls`, skipping occurrences already recorded.
pub async fn record_all(db: &Db, calls: &[NewScheduledCall]) -> Result<RecordReport> {
    let duplicates: HashSet<usize> = repo::insert_due(db, calls).await?.into_iter().collect();
    let mut report = RecordReport::default();
    for (index, call) in calls.iter().enumerate() {
        if duplicates.contains(&index) {
            report.duplicates += 1;
        } else if call.status == ScheduledCallStatus::Missed {
            report.missed += 1;
        } else {
            report.recorded += 1;
        }
    }
    Ok(report)
}
