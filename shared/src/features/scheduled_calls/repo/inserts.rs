//! Recording scheduled calls: an automation's due calls, each occurrence
//! once (the unique `dedupeKey` refuses a second insert), and manual calls
//! (one open per contact or number: the unique `manualOpenKey` refuses a
//! second).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::error::{ErrorKind, WriteFailure};

use super::at;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{NewScheduledCall, Record, ScheduledCall, ScheduledCallStatus};

/// Documents per `insert_many`.
const INSERT_BATCH: usize = 1000;
/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

/// Inserts `calls`, skipping occurrences already recorded: answers the id
/// each call was recorded under, in order, `None` where the unique
/// `dedupeKey` refused it. With `handoff`, the calls to send now
/// ([`NewScheduledCall::send_now`]) are recorded `queued` under that
/// hand-off's token (`super::handoff`); without, `pending`.
pub async fn insert_due(
    db: &Db,
    calls: &[NewScheduledCall],
    handoff: Option<ObjectId>,
) -> Result<Vec<Option<ObjectId>>> {
    let collection = db.raw(ScheduledCall::COLLECTION);
    let now = bson::DateTime::now();
    let mut recorded = Vec::with_capacity(calls.len());
    for chunk in calls.chunks(INSERT_BATCH) {
        let ids: Vec<ObjectId> = chunk.iter().map(|_| ObjectId::new()).collect();
        let documents: Vec<Document> = chunk
            .iter()
            .zip(&ids)
            .map(|(call, id)| due_document(*id, call, now, handoff))
            .collect();
        let refused = match collection.insert_many(&documents).ordered(false).await {
            Ok(_) => Vec::new(),
            Err(error) => duplicate_indexes(&error).ok_or(error)?,
        };
        let first = recorded.len();
        recorded.extend(ids.into_iter().map(Some));
        for index in refused {
            if let Some(slot) = recorded.get_mut(first + index) {
                *slot = None;
            }
        }
    }
    Ok(recorded)
}

/// A due call in production's shape, plus our fields; `queued` under the
/// `handoff` token when it is to be sent now.
fn due_document(
    id: ObjectId,
    call: &NewScheduledCall,
    now: bson::DateTime,
    handoff: Option<ObjectId>,
) -> Document {
    let contact = &call.contact;
    let reference_date = call
        .reference_date
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map_or(Bson::Null, |midnight| {
            Bson::DateTime(at(midnight.and_utc()))
        });
    let mut document = doc! {
        "_id": id,
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
    if let Some(token) =
        handoff.filter(|_| call.send_now && call.status == ScheduledCallStatus::Pending)
    {
        claimed_by(&mut document, token, now);
        // As the sweep leaves a call it sent (`sweep::mark_sent`): the
        // hand-off's open document stands for the write that would follow.
        document.insert("status", ScheduledCallStatus::Queued);
        document.insert("queuedAt", now);
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
/// evaluator records automation calls in (`referenceDate: null`), holding
/// `open_key` ([`MANUAL_OPEN_KEY`]) when given. `None` when that key is
/// held: another open manual call has it.
pub async fn insert_manual(
    db: &Db,
    call: &CheckedCall,
    open_key: Option<&str>,
) -> Result<Option<ScheduledCall>> {
    let now = bson::DateTime::now();
    let mut document = manual_document(call);
    store::stamp_new(&mut document, now);
    if let Some(token) = call.claim {
        claimed_by(&mut document, token, now);
    }
    if let Some(key) = open_key {
        document.insert(MANUAL_OPEN_KEY, key);
    }
    match db
        .raw(ScheduledCall::COLLECTION)
        .insert_one(&document)
        .await
    {
        Ok(_) => store::decode(document).map(Some),
        Err(error) if open_key.is_some() && duplicate_indexes(&error).is_some() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// A manual call's new document, before its stamps.
fn manual_document(call: &CheckedCall) -> Document {
    let mut recipient = doc! { "phoneNumber": &call.phone_e164, "name": &call.name };
    if let Some(id) = call.contact_id {
        recipient.insert("contactId", id);
    }
    doc! {
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
    }
}
