//! `ratelimits` (ours): one counter per limit, key and window, so every
//! Lambda environment counts against the same budget. Expired windows are
//! removed by the `heyway_expiresAt_ttl` index where the server supports
//! TTL.

use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::ReturnDocument;

use crate::error::Result;
use crate::infra::db::Db;

/// The collection's name.
pub const COLLECTION: &str = crate::model::RATE_LIMITS;

/// Counts one hit on counter `id` (created, expiring at `expires_at`, on
/// the window's first hit); answers the window's count so far.
pub async fn hit(db: &Db, id: &str, expires_at: DateTime) -> Result<i64> {
    let update = doc! {
        "$inc": { "count": 1 },
        "$setOnInsert": { "expiresAt": expires_at },
    };
    let collection = db.raw(COLLECTION);
    let counter = match increment(&collection, id, update.clone()).await {
        Ok(counter) => counter,
        // Two first hits in one window both tried to insert: retry as an update.
        Err(error) if is_duplicate_key(&error) => increment(&collection, id, update).await?,
        Err(error) => return Err(error.into()),
    };
    Ok(counter
        .as_ref()
        .and_then(|c| c.get("count"))
        .and_then(|v| v.as_i32().map(i64::from).or_else(|| v.as_i64()))
        .unwrap_or(1))
}

async fn increment(
    collection: &mongodb::Collection<Document>,
    id: &str,
    update: Document,
) -> mongodb::error::Result<Option<Document>> {
    collection
        .find_one_and_update(doc! { "_id": id }, update)
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await
}

fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    error.to_string().contains("E11000")
}
