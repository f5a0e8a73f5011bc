//! The calls each number got lately, per business: one small document per
//! business and number (`recipientcalls`, `_id` `<userId>:<E.164>`) with
//! its last calls (`calls: [{at, scheduledCallId}]`), updated with a compare-and-set on a
//! version so two dialers cannot both take the last call a cap allows.
//! Not a record of the Node app: no timestamps.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime};

use crate::error::Result;
use crate::infra::db::Db;

/// The collection, one document per business and number.
pub const COLLECTION: &str = "recipientcalls";

/// What is stored for one number: its recent call times and the version
/// to compare against (`None` before its first call).
#[derive(Clone, Debug, Default)]
pub struct Recent {
    pub times: Vec<chrono::DateTime<chrono::Utc>>,
    /// The scheduled calls counted, in the order of `times`.
    pub scheduled_calls: Vec<ObjectId>,
    pub version: Option<i64>,
}

/// The number's recent calls.
pub async fn recent(db: &Db, key: &str) -> Result<Recent> {
    let Some(found) = db.raw(COLLECTION).find_one(doc! { "_id": key }).await? else {
        return Ok(Recent::default());
    };
    let calls: Vec<&mongodb::bson::Document> = found
        .get_array("calls")
        .map(|calls| calls.iter().filter_map(Bson::as_document).collect())
        .unwrap_or_default();
    let times = calls
        .iter()
        .filter_map(|c| c.get_datetime("at").ok())
        .map(|t| t.to_chrono())
        .collect();
    let scheduled_calls = calls
        .iter()
        .filter_map(|c| c.get_object_id("scheduledCallId").ok())
        .collect();
    let version = found.get_i64("version").ok().or(Some(0));
    Ok(Recent {
        times,
        scheduled_calls,
        version,
    })
}

/// Adds `scheduled_call`, placed at `at`, to what was read as `seen`,
/// keeping the last `keep` calls; `false` when another dialer changed it
/// first.
pub async fn record(
    db: &Db,
    key: &str,
    seen: &Recent,
    scheduled_call: ObjectId,
    at: DateTime,
    keep: usize,
) -> Result<bool> {
    let call = doc! { "at": at, "scheduledCallId": scheduled_call };
    let keep = i64::try_from(keep.max(1)).unwrap_or(i64::MAX);
    let Some(version) = seen.version else {
        let inserted = db
            .raw(COLLECTION)
            .insert_one(doc! { "_id": key, "version": 1_i64, "calls": [call] })
            .await;
        return Ok(inserted.is_ok());
    };
    let result = db
        .raw(COLLECTION)
        .update_one(
            doc! { "_id": key, "version": version },
            doc! {
                "$inc": { "version": 1_i64 },
                "$push": { "calls": { "$each": [call], "$slice": -keep } },
            },
        )
        .await?;
    Ok(result.modified_count == 1)
}
