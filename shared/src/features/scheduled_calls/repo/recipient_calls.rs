//! The calls a number got lately, as the dialer records them for the
//! frequency caps (`recipientcalls`, written by
//! `features/dialer/repo/frequency.rs` with a compare-and-set; `_id`
//! `<userId>:<E.164>`, `calls: [{at, scheduledCallId}]`). Read here only,
//! to tell the owner whether a manual call goes past a cap.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, oid::ObjectId, Bson};

use crate::error::Result;
use crate::infra::db::Db;

const COLLECTION: &str = "recipientcalls";

/// When `user_id`'s number `e164` was called lately, oldest first.
pub async fn recent_times(db: &Db, user_id: ObjectId, e164: &str) -> Result<Vec<DateTime<Utc>>> {
    let key = format!("{}:{e164}", user_id.to_hex());
    let Some(found) = db.raw(COLLECTION).find_one(doc! { "_id": key }).await? else {
        return Ok(Vec::new());
    };
    Ok(found
        .get_array("calls")
        .map(|calls| {
            calls
                .iter()
                .filter_map(Bson::as_document)
                .filter_map(|c| c.get_datetime("at").ok())
                .map(|t| t.to_chrono())
                .collect()
        })
        .unwrap_or_default())
}
