//! Stripe's webhook events, applied to `subscriptions` and `users`.
//!
//! - `checkout.session.completed` ties the Stripe customer and
//!   subscription to the user (`client_reference_id` / `metadata.userId`);
//! - `customer.subscription.created|updated|deleted` carry the
//!   subscription's whole state: status, item, price and period (since
//!   `2025-03-31.basil` the period is on `items.data[]`);
//! - `invoice.paid` revives an `incomplete`/`past_due`/`unpaid`
//!   subscription, `invoice.payment_failed` marks an active one
//!   `past_due` (the invoice's subscription is at
//!   `parent.subscription_details.subscription` since basil).
//!
//! Each event is applied once: its id is claimed in `stripeevents`
//! ([`repo::events`], unique index) before anything is written, and
//! released if applying it fails, so Stripe's retry applies it then.
//! Stripe does not deliver in order: the subscription document keeps the
//! `created` time of the last event applied (`lastStripeEventAt`) and an
//! older event changes nothing.
//!
//! This file reads Stripe's objects and decides; [`repo`] writes.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde::Deserialize;
use serde_json::Value;

use super::repo;
use super::ACTIVE_STATUSES;
use crate::error::{Error, Result};
use crate::infra::db::Db;

/// The envelope of every Stripe event.
#[derive(Clone, Debug, Deserialize)]
pub struct StripeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    #[serde(default)]
    pub api_version: Option<String>,
    pub data: EventData,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EventData {
    pub object: Value,
    #[serde(default)]
    pub previous_attributes: Option<Value>,
}

/// What became of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Applied to the user's subscription.
    Applied {
        user_id: ObjectId,
        subscription_id: Option<String>,
        status: Option<String>,
    },
    /// Already applied: a redelivery.
    Duplicate,
    /// Older than the last event applied to its subscription.
    Stale { subscription_id: String },
    /// No user of ours is tied to it (a customer made elsewhere).
    Unmatched,
    /// A type we do not handle.
    Ignored { kind: String },
}

impl Handled {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Applied { .. } => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale { .. } => "stale",
            Self::Unmatched => "unmatched",
            Self::Ignored { .. } => "ignored",
        }
    }
}

const HANDLED_TYPES: [&str; 6] = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
];

/// Parses and applies a verified event body.
pub async fn handle(db: &Db, body: &[u8], now: DateTime<Utc>) -> Result<Handled> {
    let event: StripeEvent = serde_json::from_slice(body)
        .map_err(|e| Error::bad_request(None, format!("not a Stripe event: {e}")))?;
    if !HANDLED_TYPES.contains(&event.kind.as_str()) {
        return Ok(Handled::Ignored { kind: event.kind });
    }
    if !repo::events::claim(db, &event.id, &event.kind, event.created, now).await? {
        return Ok(Handled::Duplicate);
    }
    let outcome = apply(db, &event, now).await;
    match &outcome {
        // Nothing of ours matched yet: a later redelivery may match.
        Ok(Handled::Unmatched) | Err(_) => repo::events::release(db, &event.id).await?,
        Ok(_) => {}
    }
    outcome
}

async fn apply(db: &Db, event: &StripeEvent, now: DateTime<Utc>) -> Result<Handled> {
    let object = &event.data.object;
    match event.kind.as_str() {
        "checkout.session.completed" => checkout_completed(db, object, now).await,
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => subscription_changed(db, event, now).await,
        "invoice.paid" => invoice(db, event, InvoiceOutcome::Paid, now).await,
        "invoice.payment_failed" => invoice(db, event, InvoiceOutcome::Failed, now).await,
        other => Ok(Handled::Ignored {
            kind: other.to_string(),
        }),
    }
}

/// The id of an expandable field: a string, or an object with `id`.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Object(object) => object.get("id")?.as_str().map(str::to_string),
        _ => None,
    }
}

fn metadata_user_id(object: &Value) -> Option<ObjectId> {
    object
        .pointer("/metadata/userId")
        .and_then(Value::as_str)
        .and_then(|hex| hex.trim().parse().ok())
}

fn unix(value: Option<&Value>) -> Option<bson::DateTime> {
    value
        .and_then(Value::as_i64)
        .map(|secs| bson::DateTime::from_millis(secs.saturating_mul(1000)))
}

/// Our user for a Stripe object: its `userId` metadata (or a checkout
/// session's `client_reference_id`) when that user exists, else the user
/// whose `stripeCustomerId` is the object's customer.
async fn find_user(
    db: &Db,
    explicit: Option<ObjectId>,
    customer: Option<&str>,
) -> Result<Option<ObjectId>> {
    if let Some(id) = explicit {
        if repo::users::exists(db, id).await? {
            return Ok(Some(id));
        }
    }
    match customer {
        Some(customer) => repo::users::with_customer(db, customer).await,
        None => Ok(None),
    }
}

async fn checkout_completed(db: &Db, session: &Value, now: DateTime<Utc>) -> Result<Handled> {
    let customer = id_of(session.get("customer"));
    let explicit = session
        .get("client_reference_id")
        .and_then(Value::as_str)
        .and_then(|hex| hex.trim().parse().ok())
        .or_else(|| metadata_user_id(session));
    let Some(user_id) = find_user(db, explicit, customer.as_deref()).await? else {
        return Ok(Handled::Unmatched);
    };
    let subscription_id = id_of(session.get("subscription"));
    let mut status = None;
    if let Some(sub_id) = &subscription_id {
        // The session does not say the subscription's status; the
        // subscription events do. A subscription not seen yet starts as
        // Checkout leaves it: paid (or free trial) means active.
        let paid = matches!(
            session.get("payment_status").and_then(Value::as_str),
            Some("paid" | "no_payment_required")
        );
        let initial_status = if paid { "active" } else { "incomplete" };
        repo::subscriptions::link_checkout(
            db,
            sub_id,
            user_id,
            customer.as_deref(),
            initial_status,
            now,
        )
        .await?;
        status = sync_user(db, user_id, sub_id, now).await?;
    }
    repo::users::link_checkout(
        db,
        user_id,
        customer.as_deref(),
        subscription_id.as_deref(),
        now,
    )
    .await?;
    Ok(Handled::Applied {
        user_id,
        subscription_id,
        status,
    })
}

/// The state a subscription object carries, as stored fields (Stripe's
/// names mapped onto ours), for [`repo::subscriptions::write_if_newer`].
fn subscription_fields(sub: &Value) -> Document {
    let mut set = doc! {};
    if let Some(status) = sub.get("status").and_then(Value::as_str) {
        set.insert("status", status);
    }
    if let Some(customer) = id_of(sub.get("customer")) {
        set.insert("stripeCustomerId", customer);
    }
    let item = sub.pointer("/items/data/0");
    if let Some(item_id) = item.and_then(|i| i.get("id")).and_then(Value::as_str) {
        set.insert("stripeSubscriptionItemId", item_id);
    }
    if let Some(price) = item.and_then(|i| id_of(i.get("price"))) {
        set.insert("stripePriceId", price);
    }
    // Since basil the period is the item's; older versions had it on the
    // subscription.
    let period = |name: &str| unix(item.and_then(|i| i.get(name))).or_else(|| unix(sub.get(name)));
    let end = period("current_period_end");
    if let Some(start) = period("current_period_start") {
        set.insert("currentPeriodStart", start);
    }
    if let Some(end) = end {
        set.insert("currentPeriodEnd", end);
    }
    if let Some(start) = unix(sub.get("start_date")) {
        set.insert("startDate", start);
    }
    let ends = unix(sub.get("ended_at")).or_else(|| unix(sub.get("cancel_at")));
    set.insert("endDate", ends.map_or(Bson::Null, Bson::DateTime));
    let renews =
        sub.get("cancel_at_period_end").and_then(Value::as_bool) != Some(true) && ends.is_none();
    set.insert(
        "renewalDate",
        end.filter(|_| renews).map_or(Bson::Null, Bson::DateTime),
    );
    set
}

async fn subscription_changed(db: &Db, event: &StripeEvent, now: DateTime<Utc>) -> Result<Handled> {
    let sub = &event.data.object;
    let Some(sub_id) = sub.get("id").and_then(Value::as_str).map(str::to_string) else {
        return Err(Error::bad_request(
            Some("data.object.id"),
            "subscription without an id",
        ));
    };
    let mut set = subscription_fields(sub);
    if event.kind == "customer.subscription.deleted" {
        set.insert("status", "canceled");
    }
    let existing_user = repo::subscriptions::user_of(db, &sub_id).await?;
    let customer = id_of(sub.get("customer"));
    let explicit = metadata_user_id(sub).or(existing_user);
    let Some(user_id) = find_user(db, explicit, customer.as_deref()).await? else {
        return Ok(Handled::Unmatched);
    };
    set.insert("userId", user_id);
    if !repo::subscriptions::write_if_newer(db, &sub_id, set, event.created, now).await? {
        return Ok(Handled::Stale {
            subscription_id: sub_id,
        });
    }
    let status = sync_user(db, user_id, &sub_id, now).await?;
    Ok(Handled::Applied {
        user_id,
        subscription_id: Some(sub_id),
        status,
    })
}

#[derive(Clone, Copy, Debug)]
enum InvoiceOutcome {
    Paid,
    Failed,
}

async fn invoice(
    db: &Db,
    event: &StripeEvent,
    outcome: InvoiceOutcome,
    now: DateTime<Utc>,
) -> Result<Handled> {
    let invoice = &event.data.object;
    let sub_id = id_of(invoice.pointer("/parent/subscription_details/subscription"))
        .or_else(|| id_of(invoice.get("subscription")));
    let Some(sub_id) = sub_id else {
        // A one-off invoice: nothing to do with the plan.
        return Ok(Handled::Ignored {
            kind: event.kind.clone(),
        });
    };
    let Some(user_id) = repo::subscriptions::user_of(db, &sub_id).await? else {
        return Ok(Handled::Unmatched);
    };
    let (from, to): (&[&str], &str) = match outcome {
        InvoiceOutcome::Paid => (&["incomplete", "past_due", "unpaid"], "active"),
        InvoiceOutcome::Failed => (&ACTIVE_STATUSES, "past_due"),
    };
    let moved = repo::subscriptions::move_status(db, &sub_id, from, to, event.created, now).await?;
    let status = if moved {
        sync_user(db, user_id, &sub_id, now).await?
    } else {
        // Already in that state, or a newer event decided otherwise.
        repo::subscriptions::status_of(db, &sub_id).await?
    };
    Ok(Handled::Applied {
        user_id,
        subscription_id: Some(sub_id),
        status,
    })
}

/// Copies the Stripe subscription's state onto its user; answers its
/// status. `hasActiveSubscription` also stays true while another of the
/// user's subscriptions (an App Store one, say) is active.
async fn sync_user(
    db: &Db,
    user_id: ObjectId,
    sub_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let Some(link) = repo::subscriptions::stripe_link(db, sub_id).await? else {
        return Ok(None);
    };
    let active_here = link
        .status
        .as_deref()
        .is_some_and(|s| ACTIVE_STATUSES.contains(&s));
    let active = active_here || repo::subscriptions::other_active(db, user_id, sub_id).await?;
    repo::users::copy_subscription(db, user_id, sub_id, &link, active, now).await?;
    Ok(link.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_basil_item_periods_and_older_top_level_ones() {
        let basil = json!({
            "id": "sub_1", "status": "active", "customer": "cus_1", "start_date": 1_700_000_000,
            "items": { "data": [{ "id": "si_1", "price": { "id": "price_1" },
                "current_period_start": 1_700_000_000, "current_period_end": 1_702_592_000 }] },
        });
        let set = subscription_fields(&basil);
        assert_eq!(set.get_str("stripeSubscriptionItemId").unwrap(), "si_1");
        assert_eq!(set.get_str("stripePriceId").unwrap(), "price_1");
        assert_eq!(
            set.get_datetime("currentPeriodEnd")
                .unwrap()
                .timestamp_millis(),
            1_702_592_000_000
        );
        assert_eq!(
            set.get_datetime("renewalDate").unwrap().timestamp_millis(),
            1_702_592_000_000
        );
        assert_eq!(set.get("endDate"), Some(&Bson::Null));

        let older = json!({
            "id": "sub_1", "status": "active", "customer": { "id": "cus_1" },
            "current_period_start": 1_600_000_000, "current_period_end": 1_602_592_000,
            "cancel_at_period_end": true, "cancel_at": 1_602_592_000,
            "items": { "data": [{ "id": "si_1", "price": "price_2" }] },
        });
        let set = subscription_fields(&older);
        assert_eq!(set.get_str("stripeCustomerId").unwrap(), "cus_1");
        assert_eq!(set.get_str("stripePriceId").unwrap(), "price_2");
        assert_eq!(
            set.get_datetime("currentPeriodStart")
                .unwrap()
                .timestamp_millis(),
            1_600_000_000_000
        );
        assert_eq!(set.get("renewalDate"), Some(&Bson::Null));
        assert!(set.get_datetime("endDate").is_ok());
    }
}
