//! Every read and write of `donotcall`. An active entry carries
//! `activeKey`; a removal `$unset`s it and records who and when.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::error::{ErrorKind, WriteFailure};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Contact, DoNotCall, Record};

/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

/// Inserts `entry`; `false` when an active entry for its number already
/// exists (the unique `activeKey`).
pub async fn insert_active(db: &Db, entry: &DoNotCall) -> Result<bool> {
    match store::insert(db, entry).await {
        Ok(_) => Ok(true),
        Err(Error::Database(error)) if is_duplicate_key(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// `user_id`'s active entry whose number has one of `forms`.
pub async fn find_active(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
) -> Result<Option<DoNotCall>> {
    store::find_one(db, active_filter(user_id, forms)).await
}

/// Of `forms` (numbers in any stored form), those `user_id` registered.
pub async fn active_forms_among(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
) -> Result<HashSet<String>> {
    if forms.is_empty() {
        return Ok(HashSet::new());
    }
    let documents: Vec<Document> = db
        .raw(DoNotCall::COLLECTION)
        .find(active_filter(user_id, forms))
        .projection(doc! { "phoneForms": 1 })
        .await?
        .try_collect()
        .await?;
    let asked: HashSet<&String> = forms.iter().collect();
    Ok(documents
        .iter()
        .filter_map(|d| d.get_array("phoneForms").ok())
        .flatten()
        .filter_map(|form| form.as_str())
        .filter(|form| asked.contains(&form.to_string()))
        .map(str::to_string)
        .collect())
}

fn active_filter(user_id: ObjectId, forms: &[String]) -> Document {
    doc! {
        "userId": user_id,
        "phoneForms": { "$in": forms },
        "activeKey": { "$exists": true },
    }
}

/// One page of `user_id`'s entries, newest first; removed ones only when
/// `include_removed`, and only those of `forms` when given.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    forms: Option<&[String]>,
    include_removed: bool,
    skip: u64,
    limit: u64,
) -> Result<(Vec<DoNotCall>, u64)> {
    let mut filter = doc! { "userId": user_id };
    if let Some(forms) = forms {
        filter.insert("phoneForms", doc! { "$in": forms });
    }
    if !include_removed {
        filter.insert("activeKey", doc! { "$exists": true });
    }
    store::find_page(db, filter, doc! { "addedAt": -1, "_id": -1 }, skip, limit).await
}

/// Ends `user_id`'s active entry for `forms`, recording who, when and why;
/// the entry as removed, `None` when no active entry matched.
pub async fn remove(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
    by: ObjectId,
    reason: Option<&str>,
    at: DateTime,
) -> Result<Option<DoNotCall>> {
    let Some(entry) = find_active(db, user_id, forms).await? else {
        return Ok(None);
    };
    let mut update = Update::new()
        .unset("activeKey")
        .set("removedAt", at)
        .set("removedBy", by)
        .stamped_at(at);
    if let Some(reason) = reason {
        update = update.set("removalReason", reason);
    }
    let result = db
        .raw(DoNotCall::COLLECTION)
        .update_one(
            doc! { "_id": entry.id, "activeKey": { "$exists": true } },
            update.build(),
        )
        .await?;
    if result.modified_count == 0 {
        return Ok(None);
    }
    store::find_by_id(db, entry.id).await
}

/// Mirrors the registry onto `user_id`'s contacts with one of `forms`:
/// the legacy `optedOut` flag (and `optedOutAt`) the Node app reads is set
/// on registering, cleared on removal. `isActive` is left alone.
pub async fn mirror_on_contacts(
    db: &Db,
    user_id: ObjectId,
    forms: &[String],
    opted_out: bool,
    at: DateTime,
) -> Result<u64> {
    let update = if opted_out {
        Update::new().set("optedOut", true).set("optedOutAt", at)
    } else {
        Update::new().set("optedOut", false).unset("optedOutAt")
    };
    let result = db
        .raw(Contact::COLLECTION)
        .update_many(
            doc! {
                "userId": user_id,
                "phoneNumber": { "$in": forms },
                "optedOut": if opted_out { doc! { "$ne": true } } else { doc! { "$eq": true } },
            },
            update.stamped_at(at).build(),
        )
        .await?;
    Ok(result.modified_count)
}
