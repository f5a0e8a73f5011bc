//! An automation's calls, counted for its `pendingCount` and
//! `completedCount`.

use mongodb::bson::{doc, oid::ObjectId};

use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// How many of an automation's calls are open, and how many completed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutomationCounts {
    /// Not ended yet: the automation's `pendingCount`.
    pub open: u64,
    pub completed: u64,
}

/// Counts `automation_id`'s calls.
pub async fn automation_counts(db: &Db, automation_id: ObjectId) -> Result<AutomationCounts> {
    let calls = db.raw(ScheduledCall::COLLECTION);
    let open = ScheduledCallStatus::strings(&ScheduledCallStatus::OPEN);
    let open = calls
        .count_documents(doc! { "automationId": automation_id, "status": { "$in": open } })
        .await?;
    let completed = calls
        .count_documents(
            doc! { "automationId": automation_id, "status": ScheduledCallStatus::Completed },
        )
        .await?;
    Ok(AutomationCounts { open, completed })
}
