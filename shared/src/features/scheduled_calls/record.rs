//! Recording due calls exactly once.
//!
//! Each occurrence has a `dedupeKey` (automation, contact, nominal due
//! instant, attempt) under a unique index. Two evaluators recording the
//! same occurrence, or one recording it twice, leave one document: the
//! second insert fails on the index and is counted as already recorded.

use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::error::{ErrorKind, WriteFailure};

use crate::error::Result;
use crate::infra::db::Db;
use crate::model::scheduled_call::status;
use crate::model::{NewScheduledCall, Record, ScheduledCall};

/// Documents per `insert_many`.
const BATCH: usize = 1000;
/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

/// How a due call is stored.
trait Stored {
    fn to_document(&self, now: bson::DateTime) -> Document;
    fn unclaimed_document(&self, now: bson::DateTime) -> Document;
}

impl Stored for NewScheduledCall {
    /// The document in production's shape, plus our fields.
    fn to_document(&self, now: bson::DateTime) -> Document {
        let mut document = self.unclaimed_document(now);
        if let Some(token) = self.claim.filter(|_| self.status == status::PENDING) {
            document.insert("status", status::ENQUEUING);
            document.insert("enqueueToken", token);
            document.insert("enqueueClaimedAt", now);
        }
        document
    }

    fn unclaimed_document(&self, now: bson::DateTime) -> Document {
        let contact = &self.contact;
        let reference_date = self
            .reference_date
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .map_or(Bson::Null, |at| {
                Bson::DateTime(bson::DateTime::from_chrono(at.and_utc()))
            });
        doc! {
            "_id": ObjectId::new(),
            "userId": self.user_id,
            "recipients": [{
                "phoneNumber": &self.phone_e164,
                "name": &contact.name,
                "contactId": contact.id,
            }],
            "notes": &self.notes,
            "scheduledTime": bson::DateTime::from_chrono(self.scheduled_time),
            "status": self.status,
            "retryCount": i32::try_from(self.attempt).unwrap_or(i32::MAX),
            "callMode": self.call_mode,
            "automationId": self.automation_id.map_or(Bson::Null, Bson::ObjectId),
            "referenceDate": reference_date,
            "contactData": {
                "name": &contact.name,
                "phoneNumber": &self.phone_e164,
                "email": contact.email().unwrap_or_default(),
            },
            "errorMessage": &self.error_message,
            "dedupeKey": self.dedupe_key(),
            "contactId": contact.id,
            "createdAt": now,
            "updatedAt": now,
            "__v": 0,
        }
    }
}

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
    let collection = db.raw(ScheduledCall::COLLECTION);
    let now = bson::DateTime::now();
    let mut report = RecordReport::default();
    for chunk in calls.chunks(BATCH) {
        let documents: Vec<Document> = chunk.iter().map(|call| call.to_document(now)).collect();
        let duplicates: Vec<usize> = match collection.insert_many(&documents).ordered(false).await {
            Ok(_) => Vec::new(),
            Err(error) => duplicate_indexes(&error).ok_or(error)?,
        };
        for (index, call) in chunk.iter().enumerate() {
            if duplicates.contains(&index) {
                report.duplicates += 1;
            } else if call.status == status::MISSED {
                report.missed += 1;
            } else {
                report.recorded += 1;
            }
        }
    }
    Ok(report)
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
