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
use mongodb::bson::oid::ObjectId;

use super::repo::allowance as repo;
use crate::error::Result;
use crate::infra::db::Db;
use crate::model::{Subscription, User};

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
    let subscriptions = repo::live_subscriptions(db, user.id).await?;
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
    match allowance {
        Allowance::Paid | Allowance::FreeMinutes => Ok(true),
        Allowance::FreeCall => repo::spend_free_call(db, user, now).await,
        Allowance::FreePlan {
            subscription,
            limit,
        } => {
            // A period that ended starts again with this call.
            if repo::renew_free_plan(db, *subscription, now, FREE_PLAN_PERIOD).await? {
                return Ok(true);
            }
            repo::spend_free_plan_call(db, *subscription, *limit, now).await
        }
    }
}

/// Gives back what [`spend`] took for a call Twilio did not place.
pub async fn give_back(db: &Db, user: ObjectId, allowance: &Allowance) -> Result<()> {
    match allowance {
        Allowance::Paid | Allowance::FreeMinutes => Ok(()),
        Allowance::FreeCall => repo::give_back_free_call(db, user).await,
        Allowance::FreePlan { subscription, .. } => {
            repo::give_back_free_plan_call(db, *subscription).await
        }
    }
}
