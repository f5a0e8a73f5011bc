//! `usage`: a Stripe customer's paid minutes for the current period, one
//! document per customer, rolled over in place when its `resetDate`
//! passes. Each call's minutes are added once: the document remembers the
//! calls it counted in `countedCalls`, in the same update. The first
//! document is created once however many calls end together ([`start`]).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use super::{is_duplicate_key, REMEMBERED_CALLS};
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{node_json, Record, Usage};

/// A customer's current usage document, as metering reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    id: Option<ObjectId>,
    /// When the period's minutes start again from zero.
    pub reset_date: Option<DateTime<Utc>>,
    /// Whether the call being metered is counted here already.
    pub counts_call: bool,
}

/// The latest document of `customer`, by `resetDate`.
async fn latest(db: &Db, customer: &str) -> Result<Option<Document>> {
    Ok(db
        .raw(Usage::COLLECTION)
        .find_one(doc! { "customerId": customer })
        .sort(doc! { "resetDate": -1, "_id": -1 })
        .await?)
}

/// The usage of the customer's current period: the latest by `resetDate`.
pub async fn current(db: &Db, customer: &str) -> Result<Option<Usage>> {
    latest(db, customer).await?.map(store::decode).transpose()
}

/// The customer's current period, and whether it counted `call_id`.
pub async fn period(db: &Db, customer: &str, call_id: ObjectId) -> Result<Option<Period>> {
    Ok(latest(db, customer).await?.map(|usage| Period {
        id: usage.get_object_id("_id").ok(),
        reset_date: usage.get_datetime("resetDate").ok().map(|d| d.to_chrono()),
        counts_call: usage
            .get_array("countedCalls")
            .is_ok_and(|ids| ids.contains(&Bson::ObjectId(call_id))),
    }))
}

/// The field only our writes set: the customer id, on the one usage
/// document this backend creates for a customer. Its unique sparse index
/// (`heyway_usageKey_unique`) lets two calls ending together create one
/// document between them, while production's documents, which lack the
/// field and may hold a customer twice, stay as they are. The key names
/// the customer, not a period: a document is rolled over in place, and
/// two calls' clocks need not agree on when a first period starts.
pub const USAGE_KEY: &str = "usageKey";

/// Starts the customer's first period with `paid` minutes of `call_id`,
/// until `reset_date`, in one upsert that inserts only if no document
/// carries the customer's key. `true`: started, the call is counted.
/// `false`: another call started it first (the upsert matched, or lost the
/// insert to the unique index); count onto that one.
pub async fn start(
    db: &Db,
    customer: &str,
    call_id: ObjectId,
    paid: f64,
    reset_date: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let at = bson::DateTime::from_chrono(now);
    let started = db
        .raw(Usage::COLLECTION)
        .update_one(
            doc! { USAGE_KEY: customer },
            doc! { "$setOnInsert": {
                "customerId": customer, "minutesUsed": node_json::number(paid),
                "resetDate": bson::DateTime::from_chrono(reset_date), "countedCalls": [call_id],
                "createdAt": at, "updatedAt": at,
            } },
        )
        .upsert(true)
        .await;
    match started {
        Ok(result) => Ok(result.upserted_id.is_some()),
        Err(error) if is_duplicate_key(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Starts `period` over, unless another call did: `paid` minutes of
/// `call_id`, until `next_reset`. `false`: it was rolled over already.
pub async fn roll_over(
    db: &Db,
    period: &Period,
    call_id: ObjectId,
    paid: f64,
    next_reset: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let old_reset = period.reset_date.map(bson::DateTime::from_chrono);
    let update = Update::new()
        .set("minutesUsed", node_json::number(paid))
        .set("resetDate", bson::DateTime::from_chrono(next_reset))
        .set("countedCalls", vec![Bson::ObjectId(call_id)])
        .stamped_at(now);
    let rolled = db
        .raw(Usage::COLLECTION)
        .update_one(
            doc! { "_id": period.id, "resetDate": old_reset },
            update.build(),
        )
        .await?;
    Ok(rolled.modified_count == 1)
}

/// Adds `paid` minutes of `call_id` to `period`, unless it counted them.
pub async fn add(
    db: &Db,
    period: &Period,
    call_id: ObjectId,
    paid: f64,
    now: DateTime<Utc>,
) -> Result<()> {
    let update = Update::new()
        .inc("minutesUsed", paid)
        .push(
            "countedCalls",
            doc! { "$each": [call_id], "$slice": -REMEMBERED_CALLS },
        )
        .stamped_at(now);
    db.raw(Usage::COLLECTION)
        .update_one(
            doc! { "_id": period.id, "countedCalls": { "$ne": call_id } },
            update.build(),
        )
        .await?;
    Ok(())
}
