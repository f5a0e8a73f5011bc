//! `idempotencykeys` (ours): one document per user and `Idempotency-Key`.
//! Its unique index on `(userId, key)` is what lets one request claim a
//! key; its TTL index (`heyway_createdAt_ttl`) removes keys a day old,
//! where the server supports TTL (the service also ignores them itself).
//!
//! A document is claimed (`state: in-progress`, with the claim's `token`)
//! until its request answers; then it holds the answer (`state: done`,
//! `status`, `response`: the JSON text exactly as sent).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store::{self, Update};

/// The collection's name.
pub const COLLECTION: &str = crate::model::IDEMPOTENCY_KEYS;

const IN_PROGRESS: &str = "in-progress";
const DONE: &str = "done";
/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

/// A key as stored.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKey {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// What the request was: see `service::fingerprint`.
    pub fingerprint: String,
    /// The claim of the request that holds the key.
    pub token: ObjectId,
    pub state: String,
    pub created_at: bson::DateTime,
    pub claimed_at: bson::DateTime,
    /// The answer's status code, once done.
    #[serde(default)]
    pub status: Option<i32>,
    /// The answer's JSON text, once done.
    #[serde(default)]
    pub response: Option<String>,
}

impl StoredKey {
    /// The answer, once the request that claimed the key gave one.
    pub fn answer(&self) -> Option<(u16, &str)> {
        if self.state != DONE {
            return None;
        }
        let status = u16::try_from(self.status?).ok()?;
        Some((status, self.response.as_deref()?))
    }
}

/// Claims `user_id`'s `key` for the request `fingerprint` with a new
/// token, at `now`; `None` when the key is already held (or was answered).
pub async fn claim(
    db: &Db,
    user_id: ObjectId,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<ObjectId>> {
    let token = ObjectId::new();
    let now = bson::DateTime::from_chrono(now);
    let mut document = doc! {
        "userId": user_id,
        "key": key,
        "fingerprint": fingerprint,
        "token": token,
        "state": IN_PROGRESS,
        "claimedAt": now,
    };
    store::stamp_new(&mut document, now);
    match db.raw(COLLECTION).insert_one(&document).await {
        Ok(_) => Ok(Some(token)),
        Err(error) if is_duplicate_key(&error) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// `user_id`'s `key`, if stored.
pub async fn find(db: &Db, user_id: ObjectId, key: &str) -> Result<Option<StoredKey>> {
    let found = db
        .raw(COLLECTION)
        .find_one(doc! { "userId": user_id, "key": key })
        .await?;
    found.map(decode).transpose()
}

fn decode(document: Document) -> Result<StoredKey> {
    bson::from_document(document).map_err(|source| Error::Corrupt {
        collection: COLLECTION,
        source,
    })
}

/// Removes the key document `id` if it was created at or before
/// `cutoff`: an expired key the TTL monitor has not removed yet.
pub async fn forget_expired(db: &Db, id: ObjectId, cutoff: DateTime<Utc>) -> Result<()> {
    db.raw(COLLECTION)
        .delete_one(
            doc! { "_id": id, "createdAt": { "$lte": bson::DateTime::from_chrono(cutoff) } },
        )
        .await?;
    Ok(())
}

/// Takes the claim of key document `id` over from `abandoned` (a token
/// whose request is presumed dead) with a new token; `None` when another
/// request took it over or it was answered meanwhile.
pub async fn take_over(
    db: &Db,
    id: ObjectId,
    abandoned: ObjectId,
    now: DateTime<Utc>,
) -> Result<Option<ObjectId>> {
    let token = ObjectId::new();
    let now = bson::DateTime::from_chrono(now);
    let update = Update::new()
        .set("token", token)
        .set("claimedAt", now)
        .stamped_at(now);
    let result = db
        .raw(COLLECTION)
        .update_one(
            doc! { "_id": id, "token": abandoned, "state": IN_PROGRESS },
            update.build(),
        )
        .await?;
    Ok((result.modified_count == 1).then_some(token))
}

/// Stores the answer of the request holding `token`: its `status` and
/// its JSON text. `false` when the claim was lost (taken over).
pub async fn complete(
    db: &Db,
    user_id: ObjectId,
    key: &str,
    token: ObjectId,
    status: u16,
    response: &str,
) -> Result<bool> {
    let update = Update::new()
        .set("state", DONE)
        .set("status", i32::from(status))
        .set("response", response);
    let result = db
        .raw(COLLECTION)
        .update_one(
            doc! { "userId": user_id, "key": key, "token": token, "state": IN_PROGRESS },
            update.build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Frees the key the request holding `token` claimed: it failed, did
/// nothing, and a retry may run.
pub async fn release(db: &Db, user_id: ObjectId, key: &str, token: ObjectId) -> Result<()> {
    db.raw(COLLECTION)
        .delete_one(doc! { "userId": user_id, "key": key, "token": token, "state": IN_PROGRESS })
        .await?;
    Ok(())
}

fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        _ => error.to_string().contains("E11000"),
    }
}
