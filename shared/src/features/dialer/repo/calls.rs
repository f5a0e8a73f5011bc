//! The `calls` document of a placed call, in the Node app's shape
//! (docs/dialing.md): written before Twilio is asked to dial, then given
//! Twilio's sid, failed, or discarded.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use crate::error::Result;
use crate::features::dialer::call_record::NewCall;
use crate::features::dialer::script::Script;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Call, CallStatus, Record};

/// Everything the `calls` document of a placed call holds.
pub struct CallRecord<'a> {
    pub new: &'a NewCall,
    pub user_id: ObjectId,
    pub scheduled_call_id: ObjectId,
    pub automation_id: Option<ObjectId>,
    /// `None` for a call to a number not among the contacts.
    pub contact_id: Option<ObjectId>,
    pub callee_name: String,
    /// The recipient, E.164.
    pub to: &'a str,
    /// The verified caller ID, E.164.
    pub from: &'a str,
    pub script: &'a Script,
    pub started_at: DateTime<Utc>,
}

/// Inserts `record`, `initiated`.
pub async fn insert(db: &Db, record: &CallRecord<'_>) -> Result<()> {
    let mut participant =
        doc! { "phoneNumber": record.to, "name": &record.callee_name, "role": "callee" };
    insert_id(&mut participant, "contactId", record.contact_id);
    let mut document = doc! {
        "_id": record.new.id,
        "userId": record.user_id,
        "sessionId": &record.new.session_id,
        "status": CallStatus::Initiated,
        "callMode": record.script.call_mode,
        "participants": [participant],
        "transcription": [],
        "aiConfig": record.script.ai_config.clone(),
        "startedAt": bson::DateTime::from_chrono(record.started_at),
        "isInbound": false,
        "inboundData": {},
        "from": record.from,
        "scheduledCallId": record.scheduled_call_id,
    };
    insert_id(&mut document, "automationId", record.automation_id);
    insert_id(&mut document, "contactId", record.contact_id);
    store::insert_raw(db, Call::COLLECTION, document).await
}

/// Twilio accepted the call.
pub async fn set_sid(db: &Db, id: ObjectId, sid: &str) -> Result<()> {
    set(db, id, Update::new().set("twilioCallSid", sid)).await
}

/// Twilio refused the call, or never confirmed it: the record stays, so
/// the owner sees the attempt and why.
pub async fn mark_failed(db: &Db, id: ObjectId, reason: &str) -> Result<()> {
    let update = Update::new()
        .set("status", CallStatus::Failed)
        .set("errorMessage", reason)
        .set("endedAt", bson::DateTime::now());
    set(db, id, update).await
}

/// Removes the record of a call Twilio certainly did not place (a
/// transient refusal); the retry writes a new one.
pub async fn discard(db: &Db, id: ObjectId) -> Result<()> {
    db.raw(Call::COLLECTION)
        .delete_one(doc! { "_id": id, "twilioCallSid": { "$exists": false } })
        .await?;
    Ok(())
}

/// The call a previous delivery linked, if it holds a Twilio sid.
pub async fn placed_sid(db: &Db, id: ObjectId) -> Result<Option<String>> {
    let found: Option<Document> = db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "twilioCallSid": 1 })
        .await?;
    Ok(found.and_then(|d| match d.get("twilioCallSid") {
        Some(Bson::String(sid)) if !sid.is_empty() => Some(sid.clone()),
        _ => None,
    }))
}

/// Applies `update` to call `id`, whether or not it is still there.
async fn set(db: &Db, id: ObjectId, update: Update) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(doc! { "_id": id }, update.build())
        .await?;
    Ok(())
}

/// Adds `id` under `key` when there is one: these documents spell absence
/// as absent.
fn insert_id(document: &mut Document, key: &str, id: Option<ObjectId>) {
    if let Some(id) = id {
        document.insert(key, Bson::ObjectId(id));
    }
}
