//! Calls stuck in `processing`: found, read against their call record,
//! and ended.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use super::at;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{Call, Record, ScheduledCall, ScheduledCallStatus};

/// Up to `limit` placed calls (`processing`, no lease) unchanged since
/// `before`.
pub async fn placed_unsettled(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ScheduledCall>> {
    let mut filter = doc! {
        "status": ScheduledCallStatus::Processing,
        "leaseUntil": { "$exists": false },
    };
    filter.extend(store::updated_at(doc! { "$lt": at(before) }));
    let documents: Vec<Document> = db
        .raw(ScheduledCall::COLLECTION)
        .find(filter)
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    documents.into_iter().map(store::decode).collect()
}

/// What a call record says about how the call went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallRecordStatus {
    /// `calls.status`, as stored.
    pub status: Option<String>,
    /// `calls.answeredBy`: Twilio's answering machine detection.
    pub answered_by: Option<String>,
    /// The automation's message was played to a voicemail box.
    pub voicemail_left: bool,
}

/// The status of call record `id`; `None` when there is no such record.
pub async fn call_record_status(db: &Db, id: ObjectId) -> Result<Option<CallRecordStatus>> {
    let record = db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": id })
        .await?;
    Ok(record.map(|record| CallRecordStatus {
        status: record.get_str("status").ok().map(str::to_string),
        answered_by: record.get_str("answeredBy").ok().map(str::to_string),
        voicemail_left: record.get_bool("voicemailLeft").unwrap_or(false),
    }))
}

/// Ends call `id` with `end` and `message` if it is still `processing`
/// without a lease; `false` when something else ended it meanwhile.
pub async fn end_processing(
    db: &Db,
    id: ObjectId,
    end: ScheduledCallStatus,
    message: Option<&str>,
) -> Result<bool> {
    let message = message.map_or(Bson::Null, |m| Bson::String(m.to_string()));
    let update = Update::new()
        .set("status", end)
        .set("errorMessage", message)
        .unset(MANUAL_OPEN_KEY);
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! {
                "_id": id,
                "status": ScheduledCallStatus::Processing,
                "leaseUntil": { "$exists": false },
            },
            update.build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Fails with `message`, at `now`, every claim whose lease ran out before
/// `expired_before`; answers how many.
pub async fn fail_abandoned(
    db: &Db,
    expired_before: DateTime<Utc>,
    message: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let update = Update::new()
        .set("status", ScheduledCallStatus::Failed)
        .set("errorMessage", message)
        .unset("leaseUntil")
        .unset(MANUAL_OPEN_KEY)
        .stamped_at(at(now));
    let abandoned = db
        .raw(ScheduledCall::COLLECTION)
        .update_many(
            doc! {
                "status": ScheduledCallStatus::Processing,
                "leaseUntil": { "$lt": at(expired_before) },
            },
            update.build(),
        )
        .await?;
    Ok(abandoned.modified_count)
}
