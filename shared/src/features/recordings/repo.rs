//! Every MongoDB read and write of recordings beyond the store's generic
//! ones: the one place that builds their filters. Each is scoped by the
//! owner's `userId`, so another tenant's recording is simply not found.

use mongodb::bson::{doc, oid::ObjectId};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, owned};
use crate::model::{Automation, Record, Recording};

/// One page of the user's recordings, newest first.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    skip: u64,
    limit: u64,
) -> Result<(Vec<Recording>, u64)> {
    let filter = doc! { "userId": user_id };
    let sort = doc! { "createdAt": -1, "_id": -1 };
    store::find_page(db, filter, sort, skip, limit).await
}

/// The name of an active automation of the user's that plays recording
/// `id` (stored as an id or as its hex), if any; `(unnamed)` when it has
/// no name.
pub async fn active_automation_playing(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
) -> Result<Option<String>> {
    let using = db
        .raw(Automation::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "isActive": true,
            "audioMessage": { "$in": [id.to_hex(), id] },
        })
        .projection(doc! { "name": 1 })
        .await?;
    Ok(using.map(|automation| {
        automation
            .get_str("name")
            .unwrap_or("(unnamed)")
            .to_string()
    }))
}

/// Deletes the user's recording `id`; whether there was one.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let result = db
        .raw(Recording::COLLECTION)
        .delete_one(owned::scoped(user_id, id))
        .await?;
    Ok(result.deleted_count > 0)
}

/// Whether a recording of `user_id` other than `id` stores one of `names`
/// as its `filePath` or `signedUrl`.
pub async fn another_names(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    names: &[String],
) -> Result<bool> {
    let other = db
        .raw(Recording::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "_id": { "$ne": id },
            "$or": [
                { "filePath": { "$in": names } },
                { "signedUrl": { "$in": names } },
            ],
        })
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(other.is_some())
}
