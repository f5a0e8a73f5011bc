//! The `calls` document of a placed call, in the Node app's shape
//! (docs/dialing.md), written before Twilio is asked to dial.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use super::script::{insert_id, Script};
use super::Ready;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Call, Record, ScheduledCall};

/// `calls.status` before Twilio's first callback.
pub const INITIATED: &str = "initiated";
/// `calls.status` of a call Twilio refused or never confirmed.
pub const FAILED: &str = "failed";

/// The new call's identity, fixed before it is written.
#[derive(Clone, Debug)]
pub struct NewCall {
    pub id: ObjectId,
    pub session_id: String,
}

impl NewCall {
    pub fn new() -> Self {
        Self {
            id: ObjectId::new(),
            session_id: bson::Uuid::new().to_string(),
        }
    }
}

impl Default for NewCall {
    fn default() -> Self {
        Self::new()
    }
}

/// Inserts the `calls` document for `scheduled`, placed at `now`.
pub async fn insert(
    db: &Db,
    new: &NewCall,
    scheduled: &ScheduledCall,
    ready: &Ready,
    script: &Script,
    now: DateTime<Utc>,
) -> Result<()> {
    let contact_id = ready.contact.as_ref().map(|c| c.id);
    let name = ready
        .contact
        .as_ref()
        .map(|c| c.name.clone())
        .or_else(|| {
            scheduled
                .recipients
                .first()
                .and_then(|r| r.get_str("name").ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let mut participant = doc! { "phoneNumber": &ready.to, "name": name, "role": "callee" };
    insert_id(&mut participant, "contactId", contact_id);
    let mut document = doc! {
        "_id": new.id,
        "userId": scheduled.user_id,
        "sessionId": &new.session_id,
        "status": INITIATED,
        "callMode": script.call_mode,
        "participants": [participant],
        "transcription": [],
        "aiConfig": script.ai_config.clone(),
        "startedAt": bson::DateTime::from_chrono(now),
        "isInbound": false,
        "inboundData": {},
        "from": &ready.from,
        "scheduledCallId": scheduled.id,
    };
    insert_id(&mut document, "automationId", scheduled.automation_id);
    insert_id(&mut document, "contactId", contact_id);
    store::insert_raw(db, Call::COLLECTION, document).await
}

/// Twilio accepted the call.
pub async fn set_sid(db: &Db, id: ObjectId, sid: &str) -> Result<()> {
    set(db, id, doc! { "twilioCallSid": sid }).await
}

/// Twilio refused the call, or never confirmed it: the record stays, so
/// the owner sees the attempt and why.
pub async fn mark_failed(db: &Db, id: ObjectId, reason: &str) -> Result<()> {
    set(
        db,
        id,
        doc! { "status": FAILED, "errorMessage": reason, "endedAt": bson::DateTime::now() },
    )
    .await
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
    let found = db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "twilioCallSid": 1 })
        .await?;
    Ok(found.and_then(|d| match d.get("twilioCallSid") {
        Some(Bson::String(sid)) if !sid.is_empty() => Some(sid.clone()),
        _ => None,
    }))
}

async fn set(db: &Db, id: ObjectId, mut fields: Document) -> Result<()> {
    fields.insert("updatedAt", bson::DateTime::now());
    db.raw(Call::COLLECTION)
        .update_one(doc! { "_id": id }, doc! { "$set": fields })
        .await?;
    Ok(())
}
