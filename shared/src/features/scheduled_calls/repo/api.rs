//! What `/api/scheduled-calls` reads and writes beyond the store's generic
//! reads: a filtered page of a user's calls, and cancelling one.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, oid::ObjectId, Document};

use super::at;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Record, ScheduledCall, ScheduledCallStatus};

/// Which of a user's calls a page lists.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub status: Option<ScheduledCallStatus>,
    pub automation_id: Option<ObjectId>,
    /// Scheduled at or after.
    pub from: Option<DateTime<Utc>>,
    /// Scheduled at or before.
    pub to: Option<DateTime<Utc>>,
}

/// One page of `user_id`'s calls matching `filter`, newest
/// `scheduledTime` first, and how many match in all.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    filter: &ListFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<ScheduledCall>, u64)> {
    let mut query = doc! { "userId": user_id };
    if let Some(status) = filter.status {
        query.insert("status", status);
    }
    if let Some(id) = filter.automation_id {
        query.insert("automationId", id);
    }
    let mut range = Document::new();
    if let Some(from) = filter.from {
        range.insert("$gte", at(from));
    }
    if let Some(to) = filter.to {
        range.insert("$lte", at(to));
    }
    if !range.is_empty() {
        query.insert("scheduledTime", range);
    }
    let newest_first = doc! { "scheduledTime": -1, "_id": -1 };
    store::find_page(db, query, newest_first, skip, limit).await
}

/// Cancels `user_id`'s call `id` if it has not started, in one update;
/// `false` when no such call had not started.
pub async fn cancel_not_started(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let not_started = ScheduledCallStatus::strings(&ScheduledCallStatus::NOT_STARTED);
    let update = Update::new()
        .set("status", ScheduledCallStatus::Cancelled)
        .unset(MANUAL_OPEN_KEY);
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": id, "userId": user_id, "status": { "$in": not_started } },
            update.build(),
        )
        .await?;
    Ok(result.matched_count == 1)
}
