//! `refreshtokens` (ours): every refresh token issued, by the SHA-256 of
//! its secret, with its family, expiry, and when it was spent or revoked.

use mongodb::bson::{doc, oid::ObjectId, DateTime};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};

/// The collection's name.
pub const COLLECTION: &str = crate::model::REFRESH_TOKENS;

/// A token to store.
#[derive(Debug)]
pub struct NewToken<'a> {
    pub id: ObjectId,
    pub user_id: ObjectId,
    pub token_hash: &'a str,
    pub family: ObjectId,
    pub expires_at: DateTime,
}

/// A stored token: whose, and of which family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredToken {
    pub id: ObjectId,
    pub user_id: ObjectId,
    pub family: ObjectId,
}

/// Stores `token`, issued at `now`.
pub async fn insert(db: &Db, token: &NewToken<'_>, now: DateTime) -> Result<()> {
    let mut record = doc! {
        "_id": token.id,
        "userId": token.user_id,
        "tokenHash": token.token_hash,
        "familyId": token.family,
        "expiresAt": token.expires_at,
    };
    store::stamp_new(&mut record, now);
    db.raw(COLLECTION).insert_one(record).await?;
    Ok(())
}

/// The token whose secret hashes to `token_hash`, if it is whole.
pub async fn with_hash(db: &Db, token_hash: &str) -> Result<Option<StoredToken>> {
    let stored = db
        .raw(COLLECTION)
        .find_one(doc! { "tokenHash": token_hash })
        .await?;
    Ok(stored.and_then(|stored| {
        Some(StoredToken {
            id: stored.get_object_id("_id").ok()?,
            user_id: stored.get_object_id("userId").ok()?,
            family: stored.get_object_id("familyId").ok()?,
        })
    }))
}

/// Spends token `id` unless it is spent, revoked or expired at `now`;
/// `false` when it could not be spent.
pub async fn spend(db: &Db, id: ObjectId, now: DateTime) -> Result<bool> {
    let update = Update::new().set("usedAt", now).stamped_at(now);
    let claimed = db
        .raw(COLLECTION)
        .update_one(
            doc! { "_id": id, "usedAt": null, "revokedAt": null, "expiresAt": { "$gt": now } },
            update.build(),
        )
        .await?;
    Ok(claimed.modified_count == 1)
}

/// Whether token `id` was spent.
pub async fn was_spent(db: &Db, id: ObjectId) -> Result<bool> {
    let spent = db
        .raw(COLLECTION)
        .count_documents(doc! { "_id": id, "usedAt": { "$type": "date" } })
        .await?;
    Ok(spent > 0)
}

/// Revokes every token of `family` not revoked yet.
pub async fn revoke_family(db: &Db, family: ObjectId, now: DateTime) -> Result<()> {
    let update = Update::new().set("revokedAt", now).stamped_at(now);
    db.raw(COLLECTION)
        .update_many(
            doc! { "familyId": family, "revokedAt": null },
            update.build(),
        )
        .await?;
    Ok(())
}
