//! `calls`: the marks metering leaves on a call, none of which stamps
//! `updatedAt` (they are billing's bookkeeping, not a change to the call):
//!
//! - `meteringStartedAt`: an attempt holds the call (a lease); it stays
//!   while something is left to do, which the sweep looks for;
//! - `billedFreeMinutes`, `billedPaidMinutes`: how the minutes were split;
//! - `usageCountedAt`: the paid minutes are on the usage document;
//! - `billedAt`, `billedMinutes`: counted, once;
//! - `meterReportedAt`: Stripe has the meter event.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{Call, Record};

/// A call as metering reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallMetering {
    pub user_id: Option<ObjectId>,
    pub status: Option<String>,
    /// `metrics.duration`, in seconds.
    pub duration_secs: Option<f64>,
    pub ended_at: Option<DateTime<Utc>>,
    pub billed: bool,
    pub billed_free_minutes: Option<f64>,
    pub billed_paid_minutes: Option<f64>,
    pub usage_counted: bool,
    pub meter_reported: bool,
}

impl CallMetering {
    fn read(call: &Document) -> Self {
        let duration = call
            .get_document("metrics")
            .ok()
            .and_then(|metrics| metrics.get("duration"));
        Self {
            user_id: call.get_object_id("userId").ok(),
            status: call.get_str("status").ok().map(str::to_string),
            duration_secs: match duration {
                Some(Bson::Int32(n)) => Some(f64::from(*n)),
                Some(Bson::Int64(n)) => Some(*n as f64),
                Some(Bson::Double(n)) => Some(*n),
                _ => None,
            },
            ended_at: call.get_datetime("endedAt").ok().map(|d| d.to_chrono()),
            billed: call.contains_key("billedAt"),
            billed_free_minutes: call.get_f64("billedFreeMinutes").ok(),
            billed_paid_minutes: call.get_f64("billedPaidMinutes").ok(),
            usage_counted: call.contains_key("usageCountedAt"),
            meter_reported: call.contains_key("meterReportedAt"),
        }
    }
}

/// Call `call_id`'s metering state, if the call exists.
pub async fn metering(db: &Db, call_id: ObjectId) -> Result<Option<CallMetering>> {
    Ok(db
        .raw(Call::COLLECTION)
        .find_one(doc! { "_id": call_id })
        .await?
        .as_ref()
        .map(CallMetering::read))
}

/// Holds the call for one attempt, unless it is counted or an attempt
/// that started after `lease_ended` holds it. `false`: not ours.
pub async fn claim(
    db: &Db,
    call_id: ObjectId,
    lease_ended: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let claimed = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! {
                "_id": call_id,
                "billedAt": { "$exists": false },
                "$or": [
                    { "meteringStartedAt": { "$exists": false } },
                    { "meteringStartedAt": { "$lt": bson::DateTime::from_chrono(lease_ended) } },
                ],
            },
            doc! { "$set": { "meteringStartedAt": bson::DateTime::from_chrono(now) } },
        )
        .await?;
    Ok(claimed.modified_count == 1)
}

/// Calls held by an attempt that started before `lease_ended`: died
/// half-way, or left a meter event to retry. At most `limit`.
pub async fn interrupted(db: &Db, lease_ended: DateTime<Utc>, limit: i64) -> Result<Vec<ObjectId>> {
    let calls: Vec<Document> = db
        .raw(Call::COLLECTION)
        .find(doc! { "meteringStartedAt": { "$lt": bson::DateTime::from_chrono(lease_ended) } })
        .projection(doc! { "_id": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?;
    Ok(calls
        .iter()
        .filter_map(|call| call.get_object_id("_id").ok())
        .collect())
}

/// Records how the call's minutes split into free and paid.
pub async fn record_split(db: &Db, call_id: ObjectId, free: f64, paid: f64) -> Result<()> {
    set(
        db,
        call_id,
        doc! { "billedFreeMinutes": free, "billedPaidMinutes": paid },
    )
    .await
}

/// Marks the call's paid minutes added to its customer's usage.
pub async fn mark_usage_counted(db: &Db, call_id: ObjectId, now: DateTime<Utc>) -> Result<()> {
    let at = bson::DateTime::from_chrono(now);
    set(db, call_id, doc! { "usageCountedAt": at }).await
}

/// Marks the call's meter event taken by Stripe.
pub async fn mark_reported(db: &Db, call_id: ObjectId, now: DateTime<Utc>) -> Result<()> {
    let at = bson::DateTime::from_chrono(now);
    set(db, call_id, doc! { "meterReportedAt": at }).await
}

async fn set(db: &Db, call_id: ObjectId, fields: Document) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(doc! { "_id": call_id }, doc! { "$set": fields })
        .await?;
    Ok(())
}

/// Marks the call counted (`minutes` of it), unless it was; `false`: it
/// was.
pub async fn mark_billed(
    db: &Db,
    call_id: ObjectId,
    minutes: f64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let at = bson::DateTime::from_chrono(now);
    let finished = db
        .raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": call_id, "billedAt": { "$exists": false } },
            doc! { "$set": { "billedAt": at, "billedMinutes": minutes } },
        )
        .await?;
    Ok(finished.modified_count == 1)
}

/// Lets a counted call go: nothing is left to do, so it leaves the
/// sweep's (sparse) index.
pub async fn release(db: &Db, call_id: ObjectId) -> Result<()> {
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": call_id, "billedAt": { "$exists": true } },
            doc! { "$unset": { "meteringStartedAt": "" } },
        )
        .await?;
    Ok(())
}
