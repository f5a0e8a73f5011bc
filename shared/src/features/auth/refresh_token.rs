//! Rotating refresh tokens, stored hashed.
//!
//! Each refresh spends the presented token and issues a new one in the same
//! family. A token presented a second time means it was stolen (or the
//! client raced itself): the whole family is revoked, so whoever holds the
//! newest token must sign in again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::infra::db::Db;

/// Collection of issued refresh tokens; new in this backend.
pub const COLLECTION: &str = crate::model::REFRESH_TOKENS;

/// A new token: the secret for the client, and its stored record's id.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub id: ObjectId,
}

/// Issues a new token for `user_id`, starting a family when `family` is
/// `None`.
pub async fn issue(
    db: &Db,
    user_id: ObjectId,
    family: Option<ObjectId>,
    ttl_days: u64,
) -> Result<IssuedToken> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let id = ObjectId::new();
    let now = DateTime::now();
    let ttl_ms = i64::try_from(ttl_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let record = doc! {
        "_id": id,
        "userId": user_id,
        "tokenHash": hash(&token),
        "familyId": family.unwrap_or(id),
        "expiresAt": DateTime::from_millis(now.timestamp_millis().saturating_add(ttl_ms)),
        "createdAt": now,
        "updatedAt": now,
        "__v": 0,
    };
    db.raw(COLLECTION).insert_one(record).await?;
    Ok(IssuedToken { token, id })
}

/// Spends `token` and returns its user and family for the next token.
/// Unknown, expired, revoked or already-spent tokens are `Unauthorized`;
/// a spent one also revokes its family.
pub async fn spend(db: &Db, token: &str) -> Result<(ObjectId, ObjectId)> {
    let collection = db.raw(COLLECTION);
    let stored: Document = collection
        .find_one(doc! { "tokenHash": hash(token) })
        .await?
        .ok_or(Error::Unauthorized)?;
    let id = stored
        .get_object_id("_id")
        .map_err(|_| Error::Unauthorized)?;
    let user_id = stored
        .get_object_id("userId")
        .map_err(|_| Error::Unauthorized)?;
    let family = stored
        .get_object_id("familyId")
        .map_err(|_| Error::Unauthorized)?;
    let now = DateTime::now();
    let claimed = collection
        .update_one(
            doc! { "_id": id, "usedAt": null, "revokedAt": null, "expiresAt": { "$gt": now } },
            doc! { "$set": { "usedAt": now, "updatedAt": now } },
        )
        .await?;
    if claimed.modified_count == 1 {
        return Ok((user_id, family));
    }
    // Not spendable: expired, revoked, or spent before. Spent before means
    // a copy of the token is in someone else's hands.
    let spent_before = collection
        .count_documents(doc! { "_id": id, "usedAt": { "$type": "date" } })
        .await?
        > 0;
    if spent_before {
        tracing::warn!(user = %user_id, family = %family, "refresh token reused; revoking its family");
        revoke_family(db, family).await?;
    }
    Err(Error::Unauthorized)
}

/// Revokes every token of a family.
pub async fn revoke_family(db: &Db, family: ObjectId) -> Result<()> {
    let now = DateTime::now();
    db.raw(COLLECTION)
        .update_many(
            doc! { "familyId": family, "revokedAt": null },
            doc! { "$set": { "revokedAt": now, "updatedAt": now } },
        )
        .await?;
    Ok(())
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
