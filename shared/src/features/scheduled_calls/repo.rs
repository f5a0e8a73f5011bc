//! Every read and write of scheduled calls beyond the store's generic
//! ones: the one file that lists the fields this feature stores.
//!
//! - recording: [`insert_due`] (an automation's due calls, once each under
//!   the unique `dedupeKey`) and [`insert_manual`];
//! - the sweep: [`mark_missed`], [`claim_due`], [`claimed_jobs`],
//!   [`mark_sent`] and [`mark_unsent`];
//! - settling stuck calls: [`placed_unsettled`], [`call_record_status`],
//!   [`end_processing`] and [`fail_abandoned`];
//! - the API: [`page`] and [`cancel_not_started`];
//! - an automation's counters: [`automation_counts`].

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::Cursor;

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::queue::DialJob;
use crate::infra::store::{self, Update};
use crate::model::{Call, NewScheduledCall, Record, ScheduledCall, ScheduledCallStatus};

/// Documents per `insert_many`.
const INSERT_BATCH: usize = 1000;
/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

fn at(instant: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(instant)
}

/// Inserts `calls`, skipping occurrences already recorded: answers the
/// positions in `calls` the unique `dedupeKey` refused.
pub async fn insert_due(db: &Db, calls: &[NewScheduledCall]) -> Result<Vec<usize>> {
    let collection = db.raw(ScheduledCall::COLLECTION);
    let now = bson::DateTime::now();
    let mut duplicates = Vec::new();
    for (chunk_index, chunk) in calls.chunks(INSERT_BATCH).enumerate() {
        let documents: Vec<Document> = chunk.iter().map(|call| due_document(call, now)).collect();
        let refused = match collection.insert_many(&documents).ordered(false).await {
            Ok(_) => Vec::new(),
            Err(error) => duplicate_indexes(&error).ok_or(error)?,
        };
        duplicates.extend(refused.into_iter().map(|i| chunk_index * INSERT_BATCH + i));
    }
    Ok(duplicates)
}

/// A due call in production's shape, plus our fields; already claimed
/// with the sweep's token when it is due now.
fn due_document(call: &NewScheduledCall, now: bson::DateTime) -> Document {
    let contact = &call.contact;
    let reference_date = call
        .reference_date
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(Bson::Null, |midnight| {
            Bson::DateTime(at(midnight.and_utc()))
        });
    let mut document = doc! {
        "_id": ObjectId::new(),
        "userId": call.user_id,
        "recipients": [{
            "phoneNumber": &call.phone_e164,
            "name": &contact.name,
            "contactId": contact.id,
        }],
        "notes": &call.notes,
        "scheduledTime": at(call.scheduled_time),
        "status": call.status,
        "retryCount": i32::try_from(call.attempt).unwrap_or(i32::MAX),
        "callMode": call.call_mode,
        "automationId": call.automation_id.map_or(Bson::Null, Bson::ObjectId),
        "referenceDate": reference_date,
        "contactData": {
            "name": &contact.name,
            "phoneNumber": &call.phone_e164,
            "email": contact.email().unwrap_or_default(),
        },
        "errorMessage": &call.error_message,
        "dedupeKey": call.dedupe_key(),
        "contactId": contact.id,
    };
    store::stamp_new(&mut document, now);
    if let Some(token) = call
        .claim
        .filter(|_| call.status == ScheduledCallStatus::Pending)
    {
        claimed_by(&mut document, token, now);
    }
    document
}

/// Marks a new document as claimed by the sweep `token` at `now`.
fn claimed_by(document: &mut Document, token: ObjectId, now: bson::DateTime) {
    document.insert("status", ScheduledCallStatus::Enqueuing);
    document.insert("enqueueToken", token);
    document.insert("enqueueClaimedAt", now);
}

/// The positions an unordered insert refused as duplicates, or `None`
/// when it failed for any other reason.
fn duplicate_indexes(error: &mongodb::error::Error) -> Option<Vec<usize>> {
    match error.kind.as_ref() {
        ErrorKind::InsertMany(failure) => {
            if failure.write_concern_error.is_some() {
                return None;
            }
            let errors = failure.write_errors.as_ref()?;
            errors
                .iter()
                .all(|e| e.code == DUPLICATE_KEY)
                .then(|| errors.iter().map(|e| e.index).collect())
        }
        ErrorKind::Write(WriteFailure::WriteError(e)) if e.code == DUPLICATE_KEY => Some(vec![0]),
        _ => None,
    }
}

/// A manual call that passed its checks, ready to record.
#[derive(Clone, Debug)]
pub struct CheckedCall {
    pub user_id: ObjectId,
    pub name: String,
    /// E.164.
    pub phone_e164: String,
    /// The contact's email; empty for a call to a number.
    pub email: String,
    /// `None` for a call to a number.
    pub contact_id: Option<ObjectId>,
    pub notes: String,
    pub scheduled_time: DateTime<Utc>,
    pub call_mode: &'static str,
    /// The automation whose script the call uses.
    pub automation_id: Option<ObjectId>,
    /// A sweep token: recorded already claimed for sending.
    pub claim: Option<ObjectId>,
}

/// Records `call`, `pending` (or claimed with its token), in the shape the
/// evaluator records automation calls in (`referenceDate: null`).
pub async fn insert_manual(db: &Db, call: &CheckedCall) -> Result<ScheduledCall> {
    let now = bson::DateTime::now();
    let mut recipient = doc! { "phoneNumber": &call.phone_e164, "name": &call.name };
    if let Some(id) = call.contact_id {
        recipient.insert("contactId", id);
    }
    let mut document = doc! {
        "_id": ObjectId::new(),
        "userId": call.user_id,
        "recipients": [recipient],
        "notes": &call.notes,
        "scheduledTime": at(call.scheduled_time),
        "status": ScheduledCallStatus::Pending,
        "retryCount": 0,
        "callMode": call.call_mode,
        "automationId": call.automation_id.map_or(Bson::Null, Bson::ObjectId),
        "referenceDate": Bson::Null,
        "contactData": {
            "name": &call.name,
            "phoneNumber": &call.phone_e164,
            "email": &call.email,
        },
        "errorMessage": "",
        "contactId": call.contact_id.map_or(Bson::Null, Bson::ObjectId),
    };
    store::stamp_new(&mut document, now);
    if let Some(token) = call.claim {
        claimed_by(&mut document, token, now);
    }
    db.raw(ScheduledCall::COLLECTION)
        .insert_one(&document)
        .await?;
    store::decode(document)
}

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
        .set("errorMessage", message);
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
    let update = Update::new().set("status", ScheduledCallStatus::Cancelled);
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_one(
            doc! { "_id": id, "userId": user_id, "status": { "$in": not_started } },
            update.build(),
        )
        .await?;
    Ok(result.matched_count == 1)
}

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
