//! The two places the old app kept a user's caller IDs, read and written
//! together:
//!
//! - `verifiedNumbers`: one document per number, `{userId, phoneNumber,
//!   verified}`, plus what this backend adds (`friendlyName`, `twilioSid`,
//!   `verificationStatus`, `validationCallSid`);
//! - `users.twilioConfig.verifiedCallerIds`: `[{phoneNumber, verified}]`,
//!   rewritten entry by entry so every other field of `twilioConfig` (and
//!   of each entry) stays as it was.
//!
//! Numbers may be stored in any of [`phone::stored_forms`]; they are
//! written in E.164.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::model::phone;
use crate::model::{Record, User, VerifiedNumber};

/// One caller ID of a user, both stores merged.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// E.164 when it parses, else as stored.
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub verified: bool,
    /// `verified`, `pending` or `failed` (the last validation call failed).
    pub status: &'static str,
    /// Twilio's `PN…`, when known.
    pub twilio_sid: Option<String>,
    pub in_verified_numbers: bool,
    pub in_twilio_config: bool,
    pub created_at: Option<DateTime>,
}

/// The user's raw document, or `NotFound`.
pub async fn user_document(db: &Db, user_id: ObjectId) -> Result<Document> {
    db.raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .await?
        .ok_or(Error::NotFound { what: "user" })
}

/// `users.twilioConfig.verifiedCallerIds` of a raw user document.
fn config_entries(user: &Document) -> Vec<Document> {
    user.get_document("twilioConfig")
        .ok()
        .and_then(|c| c.get_array("verifiedCallerIds").ok())
        .map(|ids| ids.iter().filter_map(Bson::as_document).cloned().collect())
        .unwrap_or_default()
}

fn normalized(raw: &str) -> String {
    phone::to_e164(raw, None).unwrap_or_else(|_| raw.trim().to_string())
}

/// Every caller ID of the user, verified or not, oldest first.
pub async fn entries(db: &Db, user: &Document, user_id: ObjectId) -> Result<Vec<Entry>> {
    use futures_util::TryStreamExt;
    let docs: Vec<Document> = db
        .raw(VerifiedNumber::COLLECTION)
        .find(doc! { "userId": user_id })
        .sort(doc! { "createdAt": 1, "_id": 1 })
        .await?
        .try_collect()
        .await?;
    let mut out: Vec<Entry> = Vec::new();
    for d in docs {
        let Ok(raw) = d.get_str("phoneNumber") else {
            continue;
        };
        let number = normalized(raw);
        let verified = d.get_bool("verified").unwrap_or(false);
        let failed = d.get_str("verificationStatus").ok() == Some("failed");
        let entry = Entry {
            phone_number: number.clone(),
            friendly_name: d.get_str("friendlyName").ok().map(str::to_string),
            verified,
            status: status(verified, failed),
            twilio_sid: d.get_str("twilioSid").ok().map(str::to_string),
            in_verified_numbers: true,
            in_twilio_config: false,
            created_at: d.get_datetime("createdAt").ok().copied(),
        };
        merge(&mut out, entry);
    }
    for e in config_entries(user) {
        let Ok(raw) = e.get_str("phoneNumber") else {
            continue;
        };
        let verified = e.get_bool("verified").unwrap_or(false);
        let entry = Entry {
            phone_number: normalized(raw),
            friendly_name: e.get_str("friendlyName").ok().map(str::to_string),
            verified,
            status: status(verified, false),
            twilio_sid: e.get_str("sid").ok().map(str::to_string),
            in_verified_numbers: false,
            in_twilio_config: true,
            created_at: None,
        };
        merge(&mut out, entry);
    }
    Ok(out)
}

fn status(verified: bool, failed: bool) -> &'static str {
    match (verified, failed) {
        (true, _) => "verified",
        (false, true) => "failed",
        (false, false) => "pending",
    }
}

/// Adds `entry`, or folds it into the entry for the same number: verified
/// in either store is verified.
fn merge(out: &mut Vec<Entry>, entry: Entry) {
    match out
        .iter_mut()
        .find(|e| e.phone_number == entry.phone_number)
    {
        Some(existing) => {
            existing.verified |= entry.verified;
            if existing.verified {
                existing.status = "verified";
            }
            existing.in_verified_numbers |= entry.in_verified_numbers;
            existing.in_twilio_config |= entry.in_twilio_config;
            if existing.friendly_name.is_none() {
                existing.friendly_name = entry.friendly_name;
            }
            if existing.twilio_sid.is_none() {
                existing.twilio_sid = entry.twilio_sid;
            }
        }
        None => out.push(entry),
    }
}

/// Whether `e164` is verified for `user` in either store; what
/// `PATCH /api/me` and the dialer accept as a caller ID.
pub async fn is_verified(db: &Db, user: &User, e164: &str) -> Result<bool> {
    let forms = phone::stored_forms(e164);
    let in_legacy_config = user
        .twilio_config
        .as_ref()
        .and_then(|config| config.get_array("verifiedCallerIds").ok())
        .is_some_and(|ids| {
            ids.iter().filter_map(Bson::as_document).any(|entry| {
                entry.get_bool("verified").unwrap_or(false)
                    && entry
                        .get_str("phoneNumber")
                        .is_ok_and(|number| forms.iter().any(|form| form == number))
            })
        });
    if in_legacy_config {
        return Ok(true);
    }
    Ok(db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(doc! { "userId": user.id, "phoneNumber": { "$in": &forms }, "verified": true })
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
    let forms = phone::stored_forms(e164);
    let now = DateTime::now();
    let mut set = doc! {
        "phoneNumber": e164,
        "verified": false,
        "verificationStatus": "pending",
        "updatedAt": now,
    };
    if let Some(name) = friendly_name {
        set.insert("friendlyName", name);
    }
    // A new validation: the last one's CallSid no longer applies.
    let update = doc! { "$set": set.clone(), "$unset": { "validationCallSid": "" } };
    let collection = db.raw(VerifiedNumber::COLLECTION);
    let updated = collection
        .update_one(
            doc! { "userId": user_id, "phoneNumber": { "$in": &forms } },
            update,
        )
        .await?;
    if updated.matched_count == 0 {
        let mut document = doc! { "_id": ObjectId::new(), "userId": user_id };
        document.extend(set);
        document.insert("createdAt", now);
        document.insert("__v", 0_i32);
        collection.insert_one(document).await?;
    }
    Ok(())
}

/// Adds Twilio's `CallSid` to a validation still pending (its callback
/// may already have settled it).
pub async fn note_validation_call(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    call_sid: &str,
) -> Result<()> {
    db.raw(VerifiedNumber::COLLECTION)
        .update_one(
            doc! {
                "userId": user_id,
                "phoneNumber": { "$in": phone::stored_forms(e164) },
                "verificationStatus": "pending",
                "validationCallSid": { "$exists": false },
            },
            doc! { "$set": { "validationCallSid": call_sid } },
        )
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
            collection
                .delete_many(doc! {
                    "userId": user_id,
                    "phoneNumber": { "$in": phone::stored_forms(e164) },
                    "verificationStatus": "pending",
                })
                .await?;
        }
    }
    Ok(())
}

/// The user's `verifiedNumbers` document for `e164`, if any.
pub async fn find_number(db: &Db, user_id: ObjectId, e164: &str) -> Result<Option<Document>> {
    Ok(db
        .raw(VerifiedNumber::COLLECTION)
        .find_one(doc! { "userId": user_id, "phoneNumber": { "$in": phone::stored_forms(e164) } })
        .await?)
}

/// Marks the last validation of `e164` failed (stays unverified).
pub async fn record_failed(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let updated = db
        .raw(VerifiedNumber::COLLECTION)
        .update_one(
            doc! { "userId": user_id, "phoneNumber": { "$in": phone::stored_forms(e164) }, "verified": { "$ne": true } },
            doc! { "$set": { "verificationStatus": "failed", "updatedAt": DateTime::now() } },
        )
        .await?;
    Ok(updated.matched_count > 0)
}

/// Marks `e164` verified for the user in both stores, and makes it the
/// preferred caller ID when the user has none.
pub async fn mark_verified(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    twilio_sid: Option<&str>,
) -> Result<()> {
    let user = user_document(db, user_id).await?;
    let forms = phone::stored_forms(e164);
    let now = DateTime::now();

    // verifiedNumbers: the existing document, or a new one.
    let mut set = doc! {
        "phoneNumber": e164,
        "verified": true,
        "verificationStatus": "verified",
        "verifiedAt": now,
        "updatedAt": now,
    };
    if let Some(sid) = twilio_sid {
        set.insert("twilioSid", sid);
    }
    let collection = db.raw(VerifiedNumber::COLLECTION);
    let updated = collection
        .update_many(
            doc! { "userId": user_id, "phoneNumber": { "$in": &forms } },
            doc! { "$set": set.clone() },
        )
        .await?;
    if updated.matched_count == 0 {
        let mut document = doc! { "_id": ObjectId::new(), "userId": user_id };
        document.extend(set);
        document.insert("createdAt", now);
        document.insert("__v", 0_i32);
        collection.insert_one(document).await?;
    }

    // users.twilioConfig.verifiedCallerIds: the entry upserted, the rest kept.
    let mut config = match user.get("twilioConfig") {
        Some(Bson::Document(config)) => config.clone(),
        _ => Document::new(),
    };
    let mut ids: Vec<Bson> = match config.get("verifiedCallerIds") {
        Some(Bson::Array(ids)) => ids.clone(),
        _ => Vec::new(),
    };
    let mut found = false;
    for id in ids.iter_mut() {
        if let Bson::Document(entry) = id {
            if entry
                .get_str("phoneNumber")
                .is_ok_and(|n| forms.iter().any(|f| f == n))
            {
                entry.insert("verified", true);
                if let Some(sid) = twilio_sid {
                    entry.insert("sid", sid);
                }
                found = true;
            }
        }
    }
    if !found {
        let mut entry = doc! { "phoneNumber": e164, "verified": true, "verifiedAt": now };
        if let Some(sid) = twilio_sid {
            entry.insert("sid", sid);
        }
        ids.push(Bson::Document(entry));
    }
    config.insert("verifiedCallerIds", ids);
    let mut set = doc! { "twilioConfig": config, "updatedAt": now };
    let preferred = user
        .get_str("preferredCallerID")
        .map(str::trim)
        .unwrap_or_default();
    if preferred.is_empty() {
        set.insert("preferredCallerID", e164);
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, doc! { "$set": set })
        .await?;
    Ok(())
}

/// Removes `e164` from both of the user's stores and clears
/// `preferredCallerID` when it was that number. Answers whether anything
/// was there.
pub async fn remove(db: &Db, user_id: ObjectId, e164: &str) -> Result<bool> {
    let user = user_document(db, user_id).await?;
    let forms = phone::stored_forms(e164);
    let deleted = db
        .raw(VerifiedNumber::COLLECTION)
        .delete_many(doc! { "userId": user_id, "phoneNumber": { "$in": &forms } })
        .await?
        .deleted_count;
    let mut set = Document::new();
    let mut in_config = false;
    if let Ok(config) = user.get_document("twilioConfig") {
        if let Ok(ids) = config.get_array("verifiedCallerIds") {
            let kept: Vec<Bson> = ids
                .iter()
                .filter(|id| {
                    !id.as_document()
                        .and_then(|e| e.get_str("phoneNumber").ok())
                        .is_some_and(|n| forms.iter().any(|f| f == n))
                })
                .cloned()
                .collect();
            if kept.len() != ids.len() {
                in_config = true;
                set.insert("twilioConfig.verifiedCallerIds", kept);
            }
        }
    }
    let preferred = user.get_str("preferredCallerID").unwrap_or_default().trim();
    let was_preferred = !preferred.is_empty()
        && (forms.iter().any(|f| f == preferred) || normalized(preferred) == e164);
    if was_preferred {
        set.insert("preferredCallerID", "");
    }
    if !set.is_empty() {
        set.insert("updatedAt", DateTime::now());
        db.raw(User::COLLECTION)
            .update_one(doc! { "_id": user_id }, doc! { "$set": set })
            .await?;
    }
    Ok(deleted > 0 || in_config)
}
