//! What pays for a call, read and spent: the user's live subscriptions,
//! free calls (`users.freeCalls`) and a free plan's calls this period
//! (`subscriptions.callsUsedThisPeriod`). Every spend is a conditional
//! update, so two dialers at once never spend the last call twice.

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Record, Subscription, User};

/// The user's subscriptions in a status that gives the plan (`active`,
/// `trialing`, the App Store's `grace_period`); unreadable ones are
/// skipped.
pub async fn live_subscriptions(db: &Db, user_id: ObjectId) -> Result<Vec<Subscription>> {
    let documents: Vec<Document> = db
        .raw(Subscription::COLLECTION)
        .find(
            doc! { "userId": user_id, "status": { "$in": Subscription::ACTIVE_STATUSES.to_vec() } },
        )
        .await?
        .try_collect()
        .await?;
    Ok(documents
        .into_iter()
        .filter_map(|document| store::decode(document).ok())
        .collect())
}

/// Spends one of the user's `freeCalls`, if any is left.
pub async fn spend_free_call(db: &Db, user_id: ObjectId, now: DateTime<Utc>) -> Result<bool> {
    let update = Update::new().inc("freeCalls", -1).stamped_at(now);
    let result = db
        .raw(User::COLLECTION)
        .update_one(
            doc! { "_id": user_id, "freeCalls": { "$gte": 1 } },
            update.build(),
        )
        .await?;
    Ok(result.modified_count == 1)
}

/// Gives back a free call [`spend_free_call`] took.
pub async fn give_back_free_call(db: &Db, user_id: ObjectId) -> Result<()> {
    db.raw(User::COLLECTION)
        .update_one(
            doc! { "_id": user_id },
            Update::new().inc("freeCalls", 1).build(),
        )
        .await?;
    Ok(())
}

/// Starts a new `period` of the free plan `subscription` with this call,
/// if its period ended by `now`.
pub async fn renew_free_plan(
    db: &Db,
    subscription: ObjectId,
    now: DateTime<Utc>,
    period: Duration,
) -> Result<bool> {
    let at = bson::DateTime::from_chrono(now);
    let update = Update::new()
        .set("callsUsedThisPeriod", 1)
        .set("currentPeriodStart", at)
        .set(
            "currentPeriodEnd",
            bson::DateTime::from_chrono(now + period),
        )
        .stamped_at(at);
    let renewed = db
        .raw(Subscription::COLLECTION)
        .update_one(
            doc! { "_id": subscription, "currentPeriodEnd": { "$lte": at } },
            update.build(),
        )
        .await?;
    Ok(renewed.modified_count == 1)
}

/// Spends one of the free plan's `limit` calls this period, if any is left.
pub async fn spend_free_plan_call(
    db: &Db,
    subscription: ObjectId,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let update = Update::new().inc("callsUsedThisPeriod", 1).stamped_at(now);
    let spent = db
        .raw(Subscription::COLLECTION)
        .update_one(
            doc! { "_id": subscription, "$or": [
                { "callsUsedThisPeriod": { "$lt": limit } },
                { "callsUsedThisPeriod": { "$exists": false } },
                { "callsUsedThisPeriod": null },
            ] },
            update.build(),
        )
        .await?;
    Ok(spent.modified_count == 1)
}

/// Gives back a free plan call [`spend_free_plan_call`] took.
pub async fn give_back_free_plan_call(db: &Db, subscription: ObjectId) -> Result<()> {
    db.raw(Subscription::COLLECTION)
        .update_one(
            doc! { "_id": subscription, "callsUsedThisPeriod": { "$gte": 1 } },
            Update::new().inc("callsUsedThisPeriod", -1).build(),
        )
        .await?;
    Ok(())
}
