//! Reads and writes of model records, the way the Node app's documents
//! expect them.
//!
//! Inserts carry `createdAt`, `updatedAt` and `__v: 0`. Updates are `$set`s
//! of the fields a record holds, never replacements, so fields the model
//! does not know, and `null`s it reads as `None`, survive.

pub mod owned;
mod update;

use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, DateTime, Document};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::model::Record;

pub use update::{stamp_new, updated_at, Update};

/// Fields an update never rewrites: identity and insert-time stamps.
const INSERT_ONLY_FIELDS: [&str; 3] = ["_id", "createdAt", "__v"];

/// Inserts `record` and returns it as stored (with its stamps).
pub async fn insert<T: Record>(db: &Db, record: &T) -> Result<T> {
    let mut document = bson::to_document(record)?;
    stamp_new(&mut document, DateTime::now());
    db.raw(T::COLLECTION).insert_one(&document).await?;
    decode(document)
}

/// Inserts a document built by hand (fields the record type does not
/// model), stamped as [`insert`] stamps.
pub async fn insert_raw(db: &Db, collection: &str, mut document: Document) -> Result<()> {
    stamp_new(&mut document, DateTime::now());
    db.raw(collection).insert_one(&document).await?;
    Ok(())
}

/// The record with `id`, if any.
pub async fn find_by_id<T: Record>(db: &Db, id: ObjectId) -> Result<Option<T>> {
    find_one(db, doc! { "_id": id }).await
}

/// The first record matching `filter`, if any.
pub async fn find_one<T: Record>(db: &Db, filter: Document) -> Result<Option<T>> {
    db.raw(T::COLLECTION)
        .find_one(filter)
        .await?
        .map(decode)
        .transpose()
}

/// Writes back every field `record` holds with one `$set`, and a fresh
/// `updatedAt`. Fails with `NotFound` when the record is gone.
pub async fn save<T: Record>(db: &Db, record: &T) -> Result<()> {
    let mut fields = bson::to_document(record)?;
    for key in INSERT_ONLY_FIELDS {
        fields.remove(key);
    }
    set_fields::<T>(db, doc! { "_id": record.id() }, fields).await
}

/// `$set`s `fields` (plus `updatedAt`) on the one record matching
/// `filter`. Fails with `NotFound` when nothing matches.
pub async fn set_fields<T: Record>(db: &Db, filter: Document, fields: Document) -> Result<()> {
    update_one::<T>(db, filter, Update::new().set_all(fields)).await
}

/// Applies `update` to the one record matching `filter`. Fails with
/// `NotFound` when nothing matches.
pub async fn update_one<T: Record>(db: &Db, filter: Document, update: Update) -> Result<()> {
    let result = db
        .raw(T::COLLECTION)
        .update_one(filter, update.build())
        .await?;
    if result.matched_count == 0 {
        return Err(Error::NotFound {
            what: T::COLLECTION,
        });
    }
    Ok(())
}

/// The `T`s matching `filter` in `sort` order, `skip`ped and `limit`ed,
/// with how many match in all.
pub async fn find_page<T: Record>(
    db: &Db,
    filter: Document,
    sort: Document,
    skip: u64,
    limit: u64,
) -> Result<(Vec<T>, u64)> {
    let collection = db.raw(T::COLLECTION);
    let total = collection.count_documents(filter.clone()).await?;
    let documents: Vec<Document> = collection
        .find(filter)
        .sort(sort)
        .skip(skip)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .await?
        .try_collect()
        .await?;
    let items = documents.into_iter().map(decode).collect::<Result<_>>()?;
    Ok((items, total))
}

/// Reads a stored document into its record type.
pub fn decode<T: Record>(document: Document) -> Result<T> {
    bson::from_document(document).map_err(|source| Error::Corrupt {
        collection: T::COLLECTION,
        source,
    })
}
