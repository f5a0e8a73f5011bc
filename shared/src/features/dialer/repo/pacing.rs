//! The pacing slots: one small document per Twilio account
//! (`dialerpacing`) holding the next free slot, taken with a
//! compare-and-set. Not a record of the Node app: no timestamps.

use mongodb::bson::{doc, Bson, DateTime};

use crate::error::Result;
use crate::infra::db::Db;

/// The collection of pacing slots, one document per account.
pub const COLLECTION: &str = "dialerpacing";

/// The account's next free slot; `None` before its first call.
pub async fn next_slot(db: &Db, account: &str) -> Result<Option<DateTime>> {
    let found = db.raw(COLLECTION).find_one(doc! { "_id": account }).await?;
    Ok(found.and_then(|d| d.get_datetime("nextSlotAt").ok().copied()))
}

/// Takes the account's first slot, leaving `next` free; `false` when
/// another dialer took one first.
pub async fn take_first_slot(db: &Db, account: &str, next: DateTime) -> Result<bool> {
    let inserted = db
        .raw(COLLECTION)
        .insert_one(doc! { "_id": account, "nextSlotAt": next })
        .await;
    Ok(inserted.is_ok())
}

/// Takes the slot `previous`, leaving `next` free; `false` when another
/// dialer took it first.
pub async fn take_slot(db: &Db, account: &str, previous: DateTime, next: DateTime) -> Result<bool> {
    let result = db
        .raw(COLLECTION)
        .update_one(
            doc! { "_id": account, "nextSlotAt": Bson::DateTime(previous) },
            doc! { "$set": { "nextSlotAt": next } },
        )
        .await?;
    Ok(result.modified_count == 1)
}
