//! What lets a user place a call, and spending it once per placed call.
//!
//! A paid subscription (Stripe, or the app stores' `productId`
//! subscriptions, or the user's own `hasActiveSubscription`) lets every
//! call through; its minutes are metered when the call ends. Otherwise a
//! free plan's `callLimit` per period (`callsUsedThisPeriod` on the
//! subscription), the user's `freeCalls`, or `freeMinutes` left. Calls
//! are spent with a conditional update right before Twilio is asked, so
//! two dialers at once never spend the last call twice, and given back
//! when Twilio did not place the call.

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Record, Subscription, User};

/// A free plan's period, when the stored one has ended.
pub const FREE_PLAN_PERIOD: Duration = Duration::days(30);

/// What pays for a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// A paid subscription: metered by the minute.
    Paid,
    /// One of a free plan's `callLimit` calls this period.
    FreePlan { subscription: ObjectId, limit: i64 },
    /// One of the user's `freeCalls`.
    FreeCall,
    /// The user's `freeMinutes`: metered when the call ends.
    FreeMinutes,
}

/// Why nothing pays for a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// No subscription, free calls or free minutes.
    NoMinutes,
    /// The free plan's calls for this period are used up.
    PlanLimit,
}

/// What pays for `user`'s next call at `now`, if anything.
pub async fn check(db: &Db, user: &User, now: DateTime<Utc>) -> Result<Result<Allowance, Denied>> {
    let subscriptions: Vec<Subscription> = db
        .raw(Subscription::COLLECTION)
        .find(doc! { "userId": user.id, "status": { "$in": ["active", "trialing"] } })
        .await?
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .filter_map(|document| store::decode(document).ok())
        .collect();
    let (free_plans, paid): (Vec<&Subscription>, Vec<&Subscription>) =
        subscriptions.iter().partition(|s| is_free_plan(s));
    if !paid.is_empty() || user.has_active_subscription == Some(true) {
        return Ok(Ok(Allowance::Paid));
    }
    let mut limit_reached = false;
    for plan in free_plans {
        let limit = plan.call_limit.map_or(0, |n| n.as_i64());
        let period_over = plan
            .current_period_end
            .is_some_and(|end| end.to_chrono() <= now);
        let used = if period_over {
            0
        } else {
            plan.calls_used_this_period.map_or(0, |n| n.as_i64())
        };
        if used < limit {
            return Ok(Ok(Allowance::FreePlan {
                subscription: plan.id,
                limit,
            }));
        }
        limit_reached = true;
    }
    if user.free_calls.is_some_and(|n| n.as_f64() >= 1.0) {
        return Ok(Ok(Allowance::FreeCall));
    }
    if user.free_minutes() > 0.0 {
        return Ok(Ok(Allowance::FreeMinutes));
    }
    Ok(Err(if limit_reached {
        Denied::PlanLimit
    } else {
        Denied::NoMinutes
    }))
}

/// A free plan: named `free`, or a call limit without a Stripe or app
/// store subscription behind it.
fn is_free_plan(subscription: &Subscription) -> bool {
    let plan = subscription.plan.as_deref().map(str::trim);
    if plan.is_some_and(|p| p.eq_ignore_ascii_case("free")) {
        return true;
    }
    subscription.call_limit.is_some()
        && subscription.stripe_subscription_id.is_none()
        && subscription.product_id.is_none()
        && subscription.original_transaction_id.is_none()
}

/// Spends `allowance` for one call; `false` when it ran out meanwhile
/// (another dialer spent the last call).
pub async fn spend(
    db: &Db,
    user: ObjectId,
    allowance: &Allowance,
    now: DateTime<Utc>,
) -> Result<bool> {
    let at = bson::DateTime::from_chrono(now);
    match allowance {
        Allowance::Paid | Allowance::FreeMinutes => Ok(true),
        Allowance::FreeCall => {
            let result = db
                .raw(User::COLLECTION)
                .update_one(
                    doc! { "_id": user, "freeCalls": { "$gte": 1 } },
                    doc! { "$inc": { "freeCalls": -1 }, "$set": { "updatedAt": at } },
                )
                .await?;
            Ok(result.modified_count == 1)
        }
        Allowance::FreePlan {
            subscription,
            limit,
        } => {
            let collection = db.raw(Subscription::COLLECTION);
            // A period that ended starts again with this call.
            let renewed = collection
                .update_one(
                    doc! { "_id": subscription, "currentPeriodEnd": { "$lte": at } },
                    doc! { "$set": {
                        "callsUsedThisPeriod": 1,
                        "currentPeriodStart": at,
                        "currentPeriodEnd": bson::DateTime::from_chrono(now + FREE_PLAN_PERIOD),
                        "updatedAt": at,
                    } },
                )
                .await?;
            if renewed.modified_count == 1 {
                return Ok(true);
            }
            let spent = collection
                .update_one(
                    doc! { "_id": subscription, "$or": [
                        { "callsUsedThisPeriod": { "$lt": limit } },
                        { "callsUsedThisPeriod": { "$exists": false } },
                        { "callsUsedThisPeriod": null },
                    ] },
                    doc! { "$inc": { "callsUsedThisPeriod": 1 }, "$set": { "updatedAt": at } },
                )
                .await?;
            Ok(spent.modified_count == 1)
        }
    }
}

/// Gives back what [`spend`] took for a call Twilio did not place.
pub async fn give_back(db: &Db, user: ObjectId, allowance: &Allowance) -> Result<()> {
    let at = bson::DateTime::now();
    match allowance {
        Allowance::Paid | Allowance::FreeMinutes => {}
        Allowance::FreeCall => {
            db.raw(User::COLLECTION)
                .update_one(
                    doc! { "_id": user },
                    doc! { "$inc": { "freeCalls": 1 }, "$set": { "updatedAt": at } },
                )
                .await?;
        }
        Allowance::FreePlan { subscription, .. } => {
            db.raw(Subscription::COLLECTION)
                .update_one(
                    doc! { "_id": subscription, "callsUsedThisPeriod": { "$gte": 1 } },
                    doc! { "$inc": { "callsUsedThisPeriod": -1 }, "$set": { "updatedAt": at } },
                )
                .await?;
        }
    }
    Ok(())
}
