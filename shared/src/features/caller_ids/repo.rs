//! Every MongoDB read and write of caller IDs, in the two places the old
//! app kept them (see `entry`): the user's
//! `verifiedNumbers` documents, and the user's own document
//! (`twilioConfig`, `preferredCallerID`).
//!
//! Numbers are looked up in any of [`phone::stored_forms`] and written in
//! E.164.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::phone;
use crate::model::{Record, User, VerifiedNumber};

/// The user's raw document, or `NotFound`.
pub async fn user_document(db: &Db, user_id: ObjectId) -> Result<Document> {
    db.raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

/// The user's `verifiedNumbers` documents, oldest first.
pub async fn numbers(db: &Db, user_id: ObjectId) -> Result<Vec<Document>> {
    let numbers = db
        .raw(VerifiedNumber::COLLECTION)
        .find(doc! { "userId": user_id })
        .sort(doc! { "createdAt": 1, "_id": 1 })
        .await?
        .try_collect()
        .await?;
    Ok(numbers)
}

/// The user's `verifiedNumbers` filter for `e164`, in any stored form.
fn number_of(user_id: ObjectId, e164: &str) -> Document {
    doc! { "userId": user_id, "phoneNumber": { "$in": phone::stored_forms(e164) } }
}

/// The user's `verifiedNumbers` document for `e164`, if any.
pub async fn find_number(db: &Db, user_id: ObjectId, e164: &str) -> Result<Option<Document>> {
    Ok(db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(number_of(user_id, e164))
        .await?)
}

/// Whether the user's `verifiedNumbers` hold `e164` verified.
pub async fn is_verified_number(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let mut filter = number_of(user_id, e164);
    filter.insert("verified", true);
    Ok(db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(filter)
        .await?
        .is_some())
}

/// Whether a user other than `user_id` holds `e164` verified, in either
/// store: a number proves one owner.
pub async fn verified_by_another(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let forms = phone::stored_forms(e164);
    let in_collection = db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(doc! { "userId": { "$ne": user_id }, "phoneNumber": { "$in": &forms }, "verified": true })
        .await?
        .is_some();
    if in_collection {
        return Ok(true);
    }
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! {
            "_id": { "$ne": user_id },
            "twilioConfig.verifiedCallerIds": { "$elemMatch": { "phoneNumber": { "$in": &forms }, "verified": true } },
        })
        .await?
        .is_some())
}

/// Records a validation in progress: the user's `verifiedNumbers`
/// document for `e164`, `verified: false`, created or reset. Written
/// before Twilio is asked, so its callback always finds it; Twilio's
/// `CallSid` is added by [`note_validation_call`] once it answers.
pub async fn record_pending(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    friendly_name: Option<&str>,
) -> Result<()> {
    let mut update = Update::new()
        .set("phoneNumber", e164)
        .set("verified", false)
        .set("verificationStatus", "pending");
    if let Some(name) = friendly_name {
        update = update.set("friendlyName", name);
    }
    // A new validation: the last one's CallSid no longer applies.
    let update = update.unset("validationCallSid");
    update_or_insert(db, user_id, e164, update, Matching::One, DateTime::now()).await
}

/// Adds Twilio's `CallSid` to a validation still pending (its callback
/// may already have settled it).
pub async fn note_validation_call(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    call_sid: &str,
) -> Result<()> {
    let mut filter = number_of(user_id, e164);
    filter.insert("verificationStatus", "pending");
    filter.insert("validationCallSid", doc! { "$exists": false });
    db.raw(VerifiedNumber::COLLECTION)
        .update_one(filter, doc! { "$set": { "validationCallSid": call_sid } })
        .await?;
    Ok(())
}

/// Undoes [`record_pending`] when Twilio refused the validation: the
/// document as it was before, or none when there was none.
pub async fn undo_pending(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    before: Option<&Document>,
) -> Result<()> {
    let collection = db.raw(VerifiedNumber::COLLECTION);
    match before.and_then(|d| d.get_object_id("_id").ok().map(|id| (id, d))) {
        Some((id, before)) => {
            collection
                .replace_one(doc! { "_id": id, "verificationStatus": "pending" }, before)
                .await?;
        }
        None => {
            let mut filter = number_of(user_id, e164);
            filter.insert("verificationStatus", "pending");
            collection.delete_many(filter).await?;
        }
    }
    Ok(())
}

/// Marks the last validation of `e164` failed (stays unverified); whether
/// there was such a validation.
pub async fn record_failed(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let mut filter = number_of(user_id, e164);
    filter.insert("verified", doc! { "$ne": true });
    let update = Update::new().set("verificationStatus", "failed").build();
    let updated = db
        .raw(VerifiedNumber::COLLECTION)
        .update_one(filter, update)
        .await?;
    Ok(updated.matched_count > 0)
}

/// Marks the user's `verifiedNumbers` documents for `e164` verified at
/// `now` (with Twilio's `sid` when given), or creates one.
pub async fn mark_number_verified(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    twilio_sid: Option<&str>,
    now: DateTime,
) -> Result<()> {
    let mut update = Update::new()
        .set("phoneNumber", e164)
        .set("verified", true)
        .set("verificationStatus", "verified")
        .set("verifiedAt", now);
    if let Some(sid) = twilio_sid {
        update = update.set("twilioSid", sid);
    }
    update_or_insert(db, user_id, e164, update, Matching::All, now).await
}

/// Which of the user's `verifiedNumbers` documents for a number an update
/// changes.
enum Matching {
    One,
    All,
}

/// Applies `update` to the user's `verifiedNumbers` document(s) for
/// `e164`, or, when there is none, inserts one holding the fields it sets;
/// either stamped `now`.
async fn update_or_insert(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    update: Update,
    matching: Matching,
    now: DateTime,
) -> Result<()> {
    let collection = db.raw(VerifiedNumber::COLLECTION);
    let filter = number_of(user_id, e164);
    let fields = update.fields().clone();
    let update = update.stamped_at(now).build();
    let matched = match matching {
        Matching::One => collection.update_one(filter, update).await?.matched_count,
        Matching::All => collection.update_many(filter, update).await?.matched_count,
    };
    if matched == 0 {
        let mut document = doc! { "_id": ObjectId::new(), "userId": user_id };
        document.extend(fields);
        store::stamp_new(&mut document, now);
        collection.insert_one(document).await?;
    }
    Ok(())
}

/// Writes the user's `twilioConfig` (as `twilio_config::with_verified`
/// rewrites it) and, when given, their `preferredCallerID`, stamped `now`.
pub async fn set_twilio_config(
    db: &Db,
    user_id: ObjectId,
    config: Document,
    preferred: Option<&str>,
    now: DateTime,
) -> Result<()> {
    let mut update = Update::new().set("twilioConfig", config);
    if let Some(e164) = preferred {
        update = update.set("preferredCallerID", e164);
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.stamped_at(now).build())
        .await?;
    Ok(())
}

/// Deletes the user's `verifiedNumbers` documents for `e164`; how many.
pub async fn delete_numbers(db: &Db, user_id: ObjectId, e164: &str) -> Result<u64> {
    let deleted = db
        .raw(VerifiedNumber::COLLECTION)
        .delete_many(number_of(user_id, e164))
        .await?
        .deleted_count;
    Ok(deleted)
}

/// Writes what removing a caller ID leaves on the user's document: the
/// `verifiedCallerIds` kept, when given, and `preferredCallerID` cleared
/// when `clear_preferred`. Nothing is written when neither changes.
pub async fn forget_on_user(
    db: &Db,
    user_id: ObjectId,
    verified_caller_ids: Option<Vec<Bson>>,
    clear_preferred: bool,
) -> Result<()> {
    let mut update = Update::new();
    if let Some(kept) = verified_caller_ids {
        update = update.set("twilioConfig.verifiedCallerIds", kept);
    }
    if clear_preferred {
        update = update.set("preferredCallerID", "");
    }
    if update.fields().is_empty() {
        return Ok(());
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.build())
        .await?;
    Ok(())
}
