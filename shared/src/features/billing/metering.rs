//! Minutes metering: a completed call's minutes are counted once.
//!
//! Called after every final Twilio status callback. A call that ended
//! `completed` with a `metrics.duration` is billed `duration / 60` minutes
//! (fractional, as production's `usage.minutesUsed` holds them):
//!
//! 1. `meteringStartedAt` claims the call for one attempt at a time, with
//!    a lease: an attempt that dies half-way is finished by
//!    [`finish_interrupted`] (the evaluator runs it) once the lease ends;
//! 2. free minutes (`users.freeMinutes`) first;
//! 3. the rest onto the `usage` document of the user's Stripe customer,
//!    rolled over (`minutesUsed` from zero, next `resetDate`) when its
//!    `resetDate` has passed;
//! 4. `billedAt` marks the call counted: a repeated callback stops there;
//! 5. the paid minutes, rounded up to whole minutes, reported to Stripe as
//!    a Billing Meter event whose `identifier` is the call id, so a retry
//!    is harmless; `meterReportedAt` marks it sent, and a later callback
//!    (or the evaluator) retries a report that failed.
//!
//! A step may still run twice (the lease ended while a slow attempt was
//! alive, or a crash came after the step and before the call's own mark)
//! and counts once:
//! each write that spends or adds minutes carries the call id into the
//! document it changes, in the same atomic update (`meteredFreeMinutes`
//! on the user, `countedCalls` on the usage document, both short capped
//! lists), and is conditional on that id not being there yet.

use chrono::{DateTime, Months, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use super::webhook::ACTIVE_STATUSES;
use crate::error::Result;
use crate::infra::config::ConfigError;
use crate::infra::db::Db;
use crate::integrations::stripe::client::{MeterEvent, StripeClient, StripeError};
use crate::model::node_json;
use crate::model::{Call, Record, Subscription, Usage, User};

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

/// How many recent calls a user's `meteredFreeMinutes` and a usage
/// document's `countedCalls` remember: enough for any retry, which comes
/// within minutes, while the documents stay small.
const REMEMBERED_CALLS: i32 = 100;

/// An attempt older than this without `billedAt` died half-way.
const INTERRUPTED_AFTER_MINUTES: i64 = 5;

/// Attempts that started before this have outlived their lease.
fn lease_ended(now: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(now - chrono::Duration::minutes(INTERRUPTED_AFTER_MINUTES))
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
    let outcome = if call.contains_key("billedAt") {
        Metered::AlreadyBilled
    } else {
        // One attempt at a time; an attempt silent for longer than the
        // lease died, and the next one takes over.
        let claimed = calls
            .update_one(
                doc! {
                    "_id": call_id,
                    "billedAt": { "$exists": false },
                    "$or": [
                        { "meteringStartedAt": { "$exists": false } },
                        { "meteringStartedAt": { "$lt": lease_ended(now) } },
                    ],
                },
                doc! { "$set": { "meteringStartedAt": bson::DateTime::from_chrono(now) } },
            )
            .await?;
        if claimed.modified_count == 0 {
            return Ok(Metered::AlreadyBilled);
        }
        let counted = count(db, &call, call_id, user_id, minutes, now).await?;
        let finished = calls
            .update_one(
                doc! { "_id": call_id, "billedAt": { "$exists": false } },
                doc! { "$set": { "billedAt": bson::DateTime::from_chrono(now), "billedMinutes": minutes } },
            )
            .await?;
        if finished.modified_count == 1 {
            counted
        } else {
            Metered::AlreadyBilled
        }
    };
    if report(db, stripe, meter_event_name, call_id, user_id, &call, now).await? {
        // Nothing left to do: out of the sweep's (sparse) index.
        calls
            .update_one(
                doc! { "_id": call_id, "billedAt": { "$exists": true } },
                doc! { "$unset": { "meteringStartedAt": "" } },
            )
            .await?;
    }
    Ok(outcome)
}

/// [`finish_interrupted`] with the configured Stripe account, built once
/// per process and run after every evaluator pass.
#[derive(Clone, Debug)]
pub struct MeteringSweep {
    stripe: Option<StripeClient>,
    meter_event_name: String,
}

impl MeteringSweep {
    pub fn from_config(config: &crate::Config) -> std::result::Result<Self, ConfigError> {
        let http = crate::infra::outbound::http_client()?;
        Ok(Self {
            stripe: StripeClient::from_config(http, &config.stripe),
            meter_event_name: config.stripe.meter_event_name.clone(),
        })
    }

    /// One sweep; errors are logged, never fatal to the evaluator pass.
    pub async fn run(&self, db: &Db, now: DateTime<Utc>) {
        match finish_interrupted(db, self.stripe.as_ref(), &self.meter_event_name, now).await {
            Ok(0) => {}
            Ok(calls) => tracing::info!(calls, "finished interrupted meterings"),
            Err(error) => tracing::warn!(%error, "interrupted meterings not finished"),
        }
    }
}

/// Finishes meterings that died half-way (a crashed or timed-out webhook
/// invocation) and retries meter events Stripe did not take: calls still
/// marked `meteringStartedAt` after a few minutes. Answers how many calls
/// it looked at. Run after every evaluator pass.
pub async fn finish_interrupted(
    db: &Db,
    stripe: Option<&StripeClient>,
    meter_event_name: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    // `meteringStartedAt` stays only while something is left to do.
    let ids: Vec<ObjectId> = db
        .raw(Call::COLLECTION)
        .find(doc! { "meteringStartedAt": { "$lt": lease_ended(now) } })
        .projection(doc! { "_id": 1 })
        .limit(100)
        .await?
        .try_collect::<Vec<Document>>()
        .await?
        .iter()
        .filter_map(|call| call.get_object_id("_id").ok())
        .collect();
    for id in &ids {
        if let Err(error) = meter_call(db, stripe, meter_event_name, *id, now).await {
            tracing::warn!(call = %id, %error, "interrupted metering not finished yet");
        }
    }
    Ok(ids.len())
}

async fn count(
    db: &Db,
    call: &Document,
    call_id: ObjectId,
    user_id: ObjectId,
    minutes: f64,
    now: DateTime<Utc>,
) -> Result<Metered> {
    let from_free = match call.get_f64("billedFreeMinutes") {
        Ok(spent) => spent,
        Err(_) => spend_free_minutes(db, call_id, user_id, minutes, now).await?,
    };
    let paid = cents(minutes - from_free);
    let calls = db.raw(Call::COLLECTION);
    calls
        .update_one(
            doc! { "_id": call_id },
            doc! { "$set": { "billedFreeMinutes": from_free, "billedPaidMinutes": paid } },
        )
        .await?;
    if paid > 0.0 && !call.contains_key("usageCountedAt") {
        if let Some(customer) = customer_of(db, user_id).await? {
            add_usage(db, call_id, user_id, &customer, paid, now).await?;
            calls
                .update_one(
                    doc! { "_id": call_id },
                    doc! { "$set": { "usageCountedAt": bson::DateTime::from_chrono(now) } },
                )
                .await?;
        }
    }
    Ok(Metered::Billed {
        minutes,
        free_minutes_used: from_free,
        paid_minutes: paid,
    })
}

/// Spends up to `minutes` of the user's free minutes for `call_id`, once:
/// the user document remembers the call with the minutes it took, in the
/// same conditional update that spends them, so a second attempt (at once
/// or after a crash) reads what the first took instead of spending again.
async fn spend_free_minutes(
    db: &Db,
    call_id: ObjectId,
    user_id: ObjectId,
    minutes: f64,
    now: DateTime<Utc>,
) -> Result<f64> {
    let users = db.raw(User::COLLECTION);
    // Conditional on the balance read, so two calls ending together do not
    // both spend the same minutes; a lost race reads again.
    for _ in 0..5 {
        let Some(user) = users.find_one(doc! { "_id": user_id }).await? else {
            return Ok(0.0);
        };
        if let Some(taken) = taken_for(&user, call_id) {
            return Ok(taken);
        }
        let free = match user.get("freeMinutes") {
            Some(Bson::Int32(n)) => f64::from(*n),
            Some(Bson::Int64(n)) => *n as f64,
            Some(Bson::Double(n)) => *n,
            _ => 0.0,
        };
        if free <= 0.0 {
            return Ok(0.0);
        }
        let take = cents(free.min(minutes));
        let left = cents(free - take);
        let updated = users
            .update_one(
                doc! {
                    "_id": user_id,
                    "freeMinutes": user.get("freeMinutes").cloned().unwrap_or(Bson::Null),
                    "meteredFreeMinutes.callId": { "$ne": call_id },
                },
                doc! {
                    "$set": { "freeMinutes": node_json::number(left.max(0.0)), "updatedAt": bson::DateTime::from_chrono(now) },
                    "$push": { "meteredFreeMinutes": {
                        "$each": [ { "callId": call_id, "minutes": take } ],
                        "$slice": -REMEMBERED_CALLS,
                    } },
                },
            )
            .await?;
        if updated.modified_count == 1 {
            return Ok(take);
        }
    }
    Ok(0.0)
}

/// The free minutes `user` already gave `call_id`, if it did.
fn taken_for(user: &Document, call_id: ObjectId) -> Option<f64> {
    user.get_array("meteredFreeMinutes")
        .ok()?
        .iter()
        .filter_map(Bson::as_document)
        .find(|entry| entry.get_object_id("callId").ok() == Some(call_id))
        .map(|entry| entry.get_f64("minutes").unwrap_or(0.0))
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

/// Adds `paid` minutes for `call_id` to the customer's current usage
/// document, once: the document's `countedCalls` remembers the call in the
/// same update.
async fn add_usage(
    db: &Db,
    call_id: ObjectId,
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
                "countedCalls": [call_id],
            })
            .await?;
        return Ok(());
    };
    let counted = |document: &Document| {
        document
            .get_array("countedCalls")
            .is_ok_and(|ids| ids.contains(&Bson::ObjectId(call_id)))
    };
    if counted(&current) {
        return Ok(());
    }
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
                    "countedCalls": [call_id],
                } },
            )
            .await?;
        if rolled.modified_count == 1 {
            return Ok(());
        }
    }
    usage
        .update_one(
            doc! { "_id": id, "countedCalls": { "$ne": call_id } },
            doc! {
                "$inc": { "minutesUsed": paid },
                "$set": { "updatedAt": at },
                "$push": { "countedCalls": { "$each": [call_id], "$slice": -REMEMBERED_CALLS } },
            },
        )
        .await?;
    Ok(())
}

/// Sends the call's paid minutes to Stripe unless already sent; answers
/// whether nothing is left to send (sent now or before, nothing to send,
/// or no Stripe account to send it to).
async fn report(
    db: &Db,
    stripe: Option<&StripeClient>,
    meter_event_name: &str,
    call_id: ObjectId,
    user_id: ObjectId,
    call: &Document,
    now: DateTime<Utc>,
) -> Result<bool> {
    let calls = db.raw(Call::COLLECTION);
    let Some(current) = calls.find_one(doc! { "_id": call_id }).await? else {
        return Ok(true);
    };
    if current.contains_key("meterReportedAt") {
        return Ok(true);
    }
    let paid = current.get_f64("billedPaidMinutes").unwrap_or(0.0);
    if paid <= 0.0 {
        return Ok(true);
    }
    let (Some(stripe), Some(customer)) = (stripe, customer_of(db, user_id).await?) else {
        return Ok(true);
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
            Ok(true)
        }
        // Stripe will not take it (a deleted customer, a meter gone):
        // retrying cannot help, and someone must look.
        Err(error @ StripeError::Refused { .. }) => {
            tracing::error!(call = %call_id, %error, "meter event refused by Stripe; not retried");
            Ok(true)
        }
        // Counted already; a repeated callback or the evaluator retries.
        Err(error) => {
            tracing::warn!(call = %call_id, %error, "meter event not sent");
            Ok(false)
        }
    }
}
