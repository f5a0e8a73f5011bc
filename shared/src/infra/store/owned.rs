//! Documents a user owns (contacts, contact lists, groups): every read and
//! write is filtered by the owner's `userId`, so another tenant's document
//! is simply not found.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::Record;

/// The filter for document `id` of `user_id`.
pub fn scoped(user_id: ObjectId, id: ObjectId) -> Document {
    doc! { "_id": id, "userId": user_id }
}

/// `user_id`'s document `id`, or a 404 naming `what`.
pub async fn find<T: Record>(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    what: &'static str,
) -> Result<T> {
    store::find_one::<T>(db, scoped(user_id, id))
        .await?
        .ok_or(Error::NotFound { what })
}

/// `$set`s `fields` (plus `updatedAt`) on `user_id`'s document `id`, or a
/// 404 naming `what` when there is none.
pub async fn set_fields<T: Record>(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    fields: Document,
    what: &'static str,
) -> Result<()> {
    store::set_fields::<T>(db, scoped(user_id, id), fields)
        .await
        .map_err(|error| match error {
            Error::NotFound { .. } => Error::NotFound { what },
            other => other,
        })
}

/// Which of `ids` are documents of `user_id` in `collection`.
pub async fn owned_among(
    db: &Db,
    collection: &str,
    user_id: ObjectId,
    ids: &[ObjectId],
) -> Result<HashSet<ObjectId>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found = db
        .raw(collection)
        .find(doc! { "_id": { "$in": ids }, "userId": user_id })
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect::<Vec<Document>>()
        .await?
        .iter()
        .filter_map(|document| document.get_object_id("_id").ok())
        .collect();
    Ok(found)
}
