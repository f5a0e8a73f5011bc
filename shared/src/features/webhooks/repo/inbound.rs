//! Inbound calls: the business a number belongs to, the caller among its
//! contacts and its last outbound call to them, and the inbound call
//! recorded once per `CallSid` and updated when a forward to the owner
//! ends.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Call, Contact, Record, User, VerifiedNumber};

/// The user whose Twilio number is one of `forms`.
pub async fn user_by_twilio_number(db: &Db, forms: &[String]) -> Result<Option<User>> {
    store::find_one(db, doc! { "twilioConfig.phoneNumber": { "$in": forms } }).await
}

/// The user with a verified caller ID among `forms` in `twilioConfig`.
pub async fn user_by_verified_caller_id(db: &Db, forms: &[String]) -> Result<Option<User>> {
    let caller_id = doc! { "phoneNumber": { "$in": forms }, "verified": true };
    store::find_one(
        db,
        doc! { "twilioConfig.verifiedCallerIds": { "$elemMatch": caller_id } },
    )
    .await
}

/// The owner of the verified number among `forms` changed last.
pub async fn verified_number_owner(db: &Db, forms: &[String]) -> Result<Option<ObjectId>> {
    let verified = db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(doc! { "phoneNumber": { "$in": forms }, "verified": true })
        .sort(doc! { "updatedAt": -1 })
        .await?;
    Ok(verified.and_then(|number| number.get_object_id("userId").ok()))
}

/// `user_id`'s contact whose number is stored as one of `forms`.
pub async fn contact_by_number(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
) -> Result<Option<Contact>> {
    store::find_one(
        db,
        doc! { "userId": user_id, "phoneNumber": { "$in": forms } },
    )
    .await
}

/// The user's latest outbound call to a number among `forms`, or to
/// `contact`.
pub async fn last_outbound_call(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
    contact: Option<ObjectId>,
) -> Result<Option<Document>> {
    let mut either = vec![doc! { "participants.phoneNumber": { "$in": forms } }];
    if let Some(contact) = contact {
        either.push(doc! { "contactId": contact });
    }
    let calls: Vec<Document> = db
        .raw(Call::COLLECTION)
        .find(doc! { "userId": user_id, "isInbound": { "$ne": true }, "$or": either })
        .sort(doc! { "createdAt": -1, "_id": -1 })
        .limit(1)
        .await?
        .try_collect()
        .await?;
    Ok(calls.into_iter().next())
}

/// The inbound call `user_id` recorded for Twilio's `sid`, if any.
pub async fn inbound_call_by_sid(
    db: &Db,
    user_id: ObjectId,
    sid: &str,
) -> Result<Option<Document>> {
    Ok(db
        .raw(Call::COLLECTION)
        .find_one(doc! { "userId": user_id, "twilioCallSid": sid, "isInbound": true })
        .await?)
}

/// The inbound call `id`, if it is one.
pub async fn find_inbound_call(db: &Db, id: ObjectId) -> Result<Option<Document>> {
    Ok(db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": id, "isInbound": true })
        .await?)
}

/// Records the new inbound call `document` (the shape the inbound webhook
/// builds), created at `at`, and answers it as stored.
pub async fn insert_inbound_call(
    db: &Db,
    mut document: Document,
    at: DateTime,
) -> Result<Document> {
    store::stamp_new(&mut document, at);
    db.raw(Call::COLLECTION).insert_one(&document).await?;
    Ok(document)
}

/// Records how the forward of the inbound call `id` to its owner ended
/// (Twilio's `DialCallStatus`); with `to_agent` the call becomes an AI
/// call the agent takes.
pub async fn record_forward(
    db: &Db,
    id: ObjectId,
    dial_status: &str,
    to_agent: bool,
) -> Result<()> {
    let mut update = Update::new().set("inboundData.forwardStatus", dial_status);
    if to_agent {
        update = update
            .set("callMode", "ai-only")
            .set("aiConfig.useAIResponse", true);
    }
    db.raw(Call::COLLECTION)
        .update_one(doc! { "_id": id }, update.build())
        .await?;
    Ok(())
}
