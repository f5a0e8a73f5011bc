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
//!    created by the first call (once, however many end together: an
//!    upsert on a key with a unique index), rolled over (`minutesUsed`
//!    from zero, next `resetDate`) when its `resetDate` has passed;
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
use mongodb::bson::oid::ObjectId;

use super::repo::{self, calls::CallMetering};
use crate::error::{Error, Result};
use crate::infra::config::ConfigError;
use crate::infra::db::Db;
use crate::integrations::stripe::client::{MeterEvent, StripeClient, StripeError};
use crate::model::CallStatus;

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

fn minutes_of(call: &CallMetering) -> Option<f64> {
    if call.status.as_deref()? != CallStatus::Completed.as_str() {
        return None;
    }
    let duration = call.duration_secs?;
    (duration > 0.0).then_some(duration / 60.0)
}

/// Rounds to 1/100 minute, so sums stay readable (`1.11`).
fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// An attempt older than this without `billedAt` died half-way.
const INTERRUPTED_AFTER_MINUTES: i64 = 5;

/// How many interrupted calls one sweep looks at.
const SWEEP_BATCH: i64 = 100;

/// Attempts that started before this have outlived their lease.
fn lease_ended(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::minutes(INTERRUPTED_AFTER_MINUTES)
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
    let Some(call) = repo::calls::metering(db, call_id).await? else {
        return Ok(Metered::NotBillable);
    };
    let Some(minutes) = minutes_of(&call).map(cents) else {
        return Ok(Metered::NotBillable);
    };
    let Some(user_id) = call.user_id else {
        return Ok(Metered::NotBillable);
    };
    let outcome = if call.billed {
        Metered::AlreadyBilled
    } else {
        // One attempt at a time; an attempt silent for longer than the
        // lease died, and the next one takes over.
        if !repo::calls::claim(db, call_id, lease_ended(now), now).await? {
            return Ok(Metered::AlreadyBilled);
        }
        let counted = count(db, &call, call_id, user_id, minutes, now).await?;
        if repo::calls::mark_billed(db, call_id, minutes, now).await? {
            counted
        } else {
            Metered::AlreadyBilled
        }
    };
    if report(db, stripe, meter_event_name, call_id, user_id, &call, now).await? {
        // Nothing left to do: out of the sweep's (sparse) index.
        repo::calls::release(db, call_id).await?;
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
    let ids = repo::calls::interrupted(db, lease_ended(now), SWEEP_BATCH).await?;
    for id in &ids {
        if let Err(error) = meter_call(db, stripe, meter_event_name, *id, now).await {
            tracing::warn!(call = %id, %error, "interrupted metering not finished yet");
        }
    }
    Ok(ids.len())
}

async fn count(
    db: &Db,
    call: &CallMetering,
    call_id: ObjectId,
    user_id: ObjectId,
    minutes: f64,
    now: DateTime<Utc>,
) -> Result<Metered> {
    let from_free = match call.billed_free_minutes {
        Some(spent) => spent,
        None => spend_free_minutes(db, call_id, user_id, minutes, now).await?,
    };
    let paid = cents(minutes - from_free);
    repo::calls::record_split(db, call_id, from_free, paid).await?;
    if paid > 0.0 && !call.usage_counted {
        if let Some(customer) = repo::users::stripe_customer(db, user_id).await? {
            add_usage(db, call_id, user_id, &customer, paid, now).await?;
            repo::calls::mark_usage_counted(db, call_id, now).await?;
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
    // Conditional on the balance read, so two calls ending together do not
    // both spend the same minutes; a lost race reads again.
    for _ in 0..5 {
        let Some(balance) = repo::users::free_minutes(db, user_id, call_id).await? else {
            return Ok(0.0);
        };
        if let Some(taken) = balance.taken_for_call {
            return Ok(taken);
        }
        let free = balance.user.free_minutes();
        if free <= 0.0 {
            return Ok(0.0);
        }
        let take = cents(free.min(minutes));
        let left = cents(free - take).max(0.0);
        let read = balance.user.free_minutes;
        if repo::users::spend_free_minutes(db, user_id, call_id, read, take, left, now).await? {
            return Ok(take);
        }
    }
    Ok(0.0)
}

/// The next reset after `now`: the Stripe period's end when it is ahead,
/// else the old reset date stepped by months, else a month from now.
async fn next_reset(
    db: &Db,
    user_id: ObjectId,
    old: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let period_end = repo::subscriptions::active_stripe_period_end(db, user_id)
        .await?
        .filter(|end| *end > now);
    if let Some(end) = period_end {
        return Ok(end);
    }
    let mut next = old.unwrap_or(now);
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
    let period = match repo::usage::period(db, customer, call_id).await? {
        Some(period) => period,
        None => {
            let reset = next_reset(db, user_id, None, now).await?;
            if repo::usage::start(db, customer, call_id, paid, reset, now).await? {
                return Ok(());
            }
            // Another call started the period a moment ago: count onto it.
            repo::usage::period(db, customer, call_id)
                .await?
                .ok_or_else(|| Error::Internal(format!("usage of {customer} vanished")))?
        }
    };
    if period.counts_call {
        return Ok(());
    }
    if period.reset_date.is_some_and(|reset| reset <= now) {
        let next = next_reset(db, user_id, period.reset_date, now).await?;
        if repo::usage::roll_over(db, &period, call_id, paid, next, now).await? {
            return Ok(());
        }
    }
    repo::usage::add(db, &period, call_id, paid, now).await
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
    call: &CallMetering,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(current) = repo::calls::metering(db, call_id).await? else {
        return Ok(true);
    };
    if current.meter_reported {
        return Ok(true);
    }
    let paid = current.billed_paid_minutes.unwrap_or(0.0);
    if paid <= 0.0 {
        return Ok(true);
    }
    let customer = repo::users::stripe_customer(db, user_id).await?;
    let (Some(stripe), Some(customer)) = (stripe, customer) else {
        return Ok(true);
    };
    let event = MeterEvent {
        event_name: meter_event_name,
        customer: &customer,
        value: paid.ceil() as i64,
        identifier: &call_id.to_hex(),
        timestamp: Some(call.ended_at.unwrap_or(now).timestamp()),
    };
    match stripe.create_meter_event(&event).await {
        Ok(()) => {
            repo::calls::mark_reported(db, call_id, now).await?;
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
