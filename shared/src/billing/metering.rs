//! Minutes metering: a completed call's minutes are counted once.
//!
//! Called after every final Twilio status callback. A call that ended
//! `completed` with a `metrics.duration` is billed `duration / 60` minutes
//! (fractional, as production's `usage.minutesUsed` holds them):
//!
//! 1. claimed once by setting `billedAt` (conditional update: a repeated
//!    callback finds it set and counts nothing);
//! 2. free minutes (`users.freeMinutes`) first;
//! 3. the rest onto the `usage` document of the user's Stripe customer,
//!    rolled over (`minutesUsed` from zero, next `resetDate`) when its
//!    `resetDate` has passed;
//! 4. the paid minutes, rounded up to whole minutes, reported to Stripe as
//!    a Billing Meter event whose `identifier` is the call id, so a retry
//!    is harmless; `meterReportedAt` marks it sent, and a later callback
//!    retries a report that failed.
//!
//! If counting fails half-way the claim is released so a repeat counts
//! again; each step leaves its own mark on the call (`billedFreeMinutes`
//! once free minutes are spent, `usageCountedAt` once the usage document
//! holds the paid minutes), so the repeat does not count a finished step
//! again. Only a crash between spending free minutes and recording it on
//! the call (two consecutive writes) could spend them twice.

use chrono::{DateTime, Months, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use super::stripe_client::{MeterEvent, StripeClient};
use super::webhook::ACTIVE_STATUSES;
use crate::db::Db;
use crate::error::Result;
use crate::model::{Call, Record, Subscription, Usage, User};
use crate::webhooks::node_json;

/// What metering did with a call.
#[derive(Clone, Debug, PartialEq)]
pub enum Metered {
    /// Not a completed call with a duration.
    NotBillable,
    /// Counted earlier.
    AlreadyBilled,
    Billed {
        minutes: f64,
        free_minutes_used: f64,
        paid_minutes: f64,
    },
}

fn minutes_of(call: &Document) -> Option<f64> {
    if call.get_str("status").ok()? != "completed" {
        return None;
    }
    let duration = match call.get_document("metrics").ok()?.get("duration")? {
        Bson::Int32(n) => f64::from(*n),
        Bson::Int64(n) => *n as f64,
        Bson::Double(n) => *n,
        _ => return None,
    };
    (duration > 0.0).then_some(duration / 60.0)
}

/// Rounds to 1/100 minute, so sums stay readable (`1.11`).
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Counts the call's minutes once, then makes sure its paid minutes
/// reached Stripe.
pub async fn meter_call(
    db: &Db,
    stripe: Option<&StripeClient>,
    meter_event_name: &str,
    call_id: ObjectId,
    now: DateTime<Utc>,
) -> Result<Metered> {
    let calls = db.raw(Call::COLLECTION);
    let Some(call) = calls.find_one(doc! { "_id": call_id }).await? else {
        return Ok(Metered::NotBillable);
    };
    let Some(minutes) = minutes_of(&call).map(cents) else {
        return Ok(Metered::NotBillable);
    };
    let Ok(user_id) = call.get_object_id("userId") else {
        return Ok(Metered::NotBillable);
    };
    let claimed = calls
        .update_one(
            doc! { "_id": call_id, "billedAt": { "$exists": false } },
            doc! { "$set": { "billedAt": bson::DateTime::from_chrono(now), "billedMinutes": minutes } },
        )
        .await?;
    let outcome = if claimed.modified_count == 0 {
        Metered::AlreadyBilled
    } else {
        let spent_before = call.get_f64("billedFreeMinutes").ok();
        match count(db, call_id, user_id, minutes, spent_before, now).await {
            Ok(outcome) => outcome,
            Err(error) => {
                calls
                    .update_one(
                        doc! { "_id": call_id },
                        doc! { "$unset": { "billedAt": "", "billedMinutes": "" } },
                    )
                    .await?;
                return Err(error);
            }
        }
    };
    report(db, stripe, meter_event_name, call_id, user_id, &call, now).await?;
    Ok(outcome)
}

async fn count(
    db: &Db,
    call_id: ObjectId,
    user_id: ObjectId,
    minutes: f64,
    spent_before: Option<f64>,
    now: DateTime<Utc>,
) -> Result<Metered> {
    let users = db.raw(User::COLLECTION);
    let mut from_free = spent_before.unwrap_or(0.0);
    // Free minutes first; conditional, so two calls ending together do
    // not both spend the same minutes. An earlier attempt that spent them
    // recorded how many on the call (`billedFreeMinutes`): not again.
    for _ in 0..usize::from(spent_before.is_none()) * 5 {
        let Some(user) = users.find_one(doc! { "_id": user_id }).await? else {
            break;
        };
        let free = match user.get("freeMinutes") {
            Some(Bson::Int32(n)) => f64::from(*n),
            Some(Bson::Int64(n)) => *n as f64,
            Some(Bson::Double(n)) => *n,
            _ => 0.0,
        };
        if free <= 0.0 {
            break;
        }
        let take = cents(free.min(minutes));
        let left = cents(free - take);
        let updated = users
            .update_one(
                doc! { "_id": user_id, "freeMinutes": user.get("freeMinutes").cloned().unwrap_or(Bson::Null) },
                doc! { "$set": { "freeMinutes": node_json::number(left.max(0.0)), "updatedAt": bson::DateTime::from_chrono(now) } },
            )
            .await?;
        if updated.modified_count == 1 {
            from_free = take;
            break;
        }
    }
    let paid = cents(minutes - from_free);
    db.raw(Call::COLLECTION)
        .update_one(
            doc! { "_id": call_id },
            doc! { "$set": { "billedFreeMinutes": from_free, "billedPaidMinutes": paid } },
        )
        .await?;
    if paid > 0.0 {
        if let Some(customer) = customer_of(db, user_id).await? {
            let calls = db.raw(Call::COLLECTION);
            let claimed = calls
                .update_one(
                    doc! { "_id": call_id, "usageCountedAt": { "$exists": false } },
                    doc! { "$set": { "usageCountedAt": bson::DateTime::from_chrono(now) } },
                )
                .await?;
            if claimed.modified_count == 1 {
                if let Err(error) = add_usage(db, user_id, &customer, paid, now).await {
                    calls
                        .update_one(
                            doc! { "_id": call_id },
                            doc! { "$unset": { "usageCountedAt": "" } },
                        )
                        .await?;
                    return Err(error);
                }
            }
        }
    }
    Ok(Metered::Billed {
        minutes,
        free_minutes_used: from_free,
        paid_minutes: paid,
    })
}

async fn customer_of(db: &Db, user_id: ObjectId) -> Result<Option<String>> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .projection(doc! { "stripeCustomerId": 1 })
        .await?
        .and_then(|u| u.get_str("stripeCustomerId").ok().map(str::to_string))
        .filter(|c| !c.trim().is_empty()))
}

/// The next reset after `now`: the Stripe period's end when it is ahead,
/// else the old reset date stepped by months, else a month from now.
async fn next_reset(
    db: &Db,
    user_id: ObjectId,
    old: Option<bson::DateTime>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let period_end = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "stripeSubscriptionId": { "$exists": true },
            "status": { "$in": ACTIVE_STATUSES.to_vec() },
        })
        .await?
        .and_then(|s| {
            s.get_datetime("currentPeriodEnd")
                .ok()
                .map(|d| d.to_chrono())
        })
        .filter(|end| *end > now);
    if let Some(end) = period_end {
        return Ok(end);
    }
    let mut next = old.map_or(now, |d| d.to_chrono());
    for _ in 0..240 {
        if next > now {
            return Ok(next);
        }
        next = next.checked_add_months(Months::new(1)).unwrap_or(now);
    }
    Ok(now.checked_add_months(Months::new(1)).unwrap_or(now))
}

async fn add_usage(
    db: &Db,
    user_id: ObjectId,
    customer: &str,
    paid: f64,
    now: DateTime<Utc>,
) -> Result<()> {
    let usage = db.raw(Usage::COLLECTION);
    let at = bson::DateTime::from_chrono(now);
    let current = usage
        .find_one(doc! { "customerId": customer })
        .sort(doc! { "resetDate": -1, "_id": -1 })
        .await?;
    let Some(current) = current else {
        let reset = next_reset(db, user_id, None, now).await?;
        usage
            .insert_one(doc! {
                "_id": ObjectId::new(), "customerId": customer, "minutesUsed": node_json::number(paid),
                "resetDate": bson::DateTime::from_chrono(reset), "createdAt": at, "updatedAt": at,
            })
            .await?;
        return Ok(());
    };
    let id = current.get_object_id("_id").ok();
    let reset = current.get_datetime("resetDate").ok().copied();
    if reset.is_some_and(|r| r.to_chrono() <= now) {
        let next = next_reset(db, user_id, reset, now).await?;
        let rolled = usage
            .update_one(
                doc! { "_id": id, "resetDate": reset },
                doc! { "$set": {
                    "minutesUsed": node_json::number(paid),
                    "resetDate": bson::DateTime::from_chrono(next),
                    "updatedAt": at,
                } },
            )
            .await?;
        if rolled.modified_count == 1 {
            return Ok(());
        }
    }
    usage
        .update_one(
            doc! { "_id": id },
            doc! { "$inc": { "minutesUsed": paid }, "$set": { "updatedAt": at } },
        )
        .await?;
    Ok(())
}

/// Sends the call's paid minutes to Stripe unless already sent.
async fn report(
    db: &Db,
    stripe: Option<&StripeClient>,
    meter_event_name: &str,
    call_id: ObjectId,
    user_id: ObjectId,
    call: &Document,
    now: DateTime<Utc>,
) -> Result<()> {
    let calls = db.raw(Call::COLLECTION);
    let Some(current) = calls.find_one(doc! { "_id": call_id }).await? else {
        return Ok(());
    };
    if current.contains_key("meterReportedAt") {
        return Ok(());
    }
    let paid = current.get_f64("billedPaidMinutes").unwrap_or(0.0);
    if paid <= 0.0 {
        return Ok(());
    }
    let (Some(stripe), Some(customer)) = (stripe, customer_of(db, user_id).await?) else {
        return Ok(());
    };
    let ended = call
        .get_datetime("endedAt")
        .map_or(now, |d| d.to_chrono())
        .timestamp();
    let event = MeterEvent {
        event_name: meter_event_name,
        customer: &customer,
        value: paid.ceil() as i64,
        identifier: &call_id.to_hex(),
        timestamp: Some(ended),
    };
    match stripe.create_meter_event(&event).await {
        Ok(()) => {
            calls
                .update_one(
                    doc! { "_id": call_id },
                    doc! { "$set": { "meterReportedAt": bson::DateTime::from_chrono(now) } },
                )
                .await?;
        }
        // Counted already; the next final callback for the call retries.
        Err(error) => tracing::warn!(call = %call_id, %error, "meter event not sent"),
    }
    Ok(())
}
