//! `subscriptions`: a user's plans, and the Stripe state the webhook
//! writes onto them.
//!
//! Stripe does not deliver in order: each write from an event keeps the
//! event's `created` time in `lastStripeEventAt` and is conditional on no
//! newer event having been applied.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};

use crate::error::Result;
use crate::features::billing::ACTIVE_STATUSES;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Record, Subscription};

/// What a user's document copies from its Stripe subscription.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StripeLink {
    pub status: Option<String>,
    pub customer_id: Option<String>,
    pub price_id: Option<String>,
    pub item_id: Option<String>,
}

/// The user's most recently updated subscriptions (at most 20), newest
/// first.
pub async fn recent_of(db: &Db, user_id: ObjectId) -> Result<Vec<Subscription>> {
    let documents: Vec<Document> = db
        .raw(Subscription::COLLECTION)
        .find(doc! { "userId": user_id })
        .sort(doc! { "updatedAt": -1, "_id": -1 })
        .limit(20)
        .await?
        .try_collect()
        .await?;
    documents.into_iter().map(store::decode).collect()
}

/// The filter for the user's Stripe subscriptions that let them call.
fn active_stripe_of(user_id: ObjectId) -> Document {
    doc! {
        "userId": user_id,
        "stripeSubscriptionId": { "$exists": true },
        "status": { "$in": ACTIVE_STATUSES.to_vec() },
    }
}

/// Whether the user holds an active Stripe subscription.
pub async fn has_active_stripe(db: &Db, user_id: ObjectId) -> Result<bool> {
    Ok(db
        .raw(Subscription::COLLECTION)
        .find_one(active_stripe_of(user_id))
        .await?
        .is_some())
}

/// The end of the current period of the user's active Stripe
/// subscription, if it has one.
pub async fn active_stripe_period_end(db: &Db, user_id: ObjectId) -> Result<Option<DateTime<Utc>>> {
    Ok(db
        .raw(Subscription::COLLECTION)
        .find_one(active_stripe_of(user_id))
        .await?
        .and_then(|s| {
            s.get_datetime("currentPeriodEnd")
                .ok()
                .map(|d| d.to_chrono())
        }))
}

/// Whether the user holds an active subscription other than Stripe's
/// `sub_id` (an App Store one, say).
pub async fn other_active(db: &Db, user_id: ObjectId, sub_id: &str) -> Result<bool> {
    Ok(db
        .raw(Subscription::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "stripeSubscriptionId": { "$ne": sub_id },
            "status": { "$in": ACTIVE_STATUSES.to_vec() },
        })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some())
}

/// The user Stripe subscription `sub_id` belongs to, if we have it.
pub async fn user_of(db: &Db, sub_id: &str) -> Result<Option<ObjectId>> {
    Ok(db
        .raw(Subscription::COLLECTION)
        .find_one(doc! { "stripeSubscriptionId": sub_id })
        .projection(doc! { "userId": 1 })
        .await?
        .and_then(|d| d.get_object_id("userId").ok()))
}

/// The stored status of Stripe subscription `sub_id`.
pub async fn status_of(db: &Db, sub_id: &str) -> Result<Option<String>> {
    Ok(db
        .raw(Subscription::COLLECTION)
        .find_one(doc! { "stripeSubscriptionId": sub_id })
        .projection(doc! { "status": 1 })
        .await?
        .and_then(|d| d.get_str("status").ok().map(str::to_string)))
}

/// The Stripe state of subscription `sub_id` a user copies.
pub async fn stripe_link(db: &Db, sub_id: &str) -> Result<Option<StripeLink>> {
    let found = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! { "stripeSubscriptionId": sub_id })
        .await?;
    let text = |sub: &Document, field: &str| sub.get_str(field).ok().map(str::to_string);
    Ok(found.map(|sub| StripeLink {
        status: text(&sub, "status"),
        customer_id: text(&sub, "stripeCustomerId"),
        price_id: text(&sub, "stripePriceId"),
        item_id: text(&sub, "stripeSubscriptionItemId"),
    }))
}

/// Ties Stripe subscription `sub_id` (and its customer) to the user after
/// Checkout; a subscription not seen yet is created with
/// `initial_status`.
pub async fn link_checkout(
    db: &Db,
    sub_id: &str,
    user_id: ObjectId,
    customer: Option<&str>,
    initial_status: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = Update::new().set("userId", user_id);
    if let Some(customer) = customer {
        update = update.set("stripeCustomerId", customer);
    }
    let update = update
        .operator("$setOnInsert", "status", initial_status)
        .operator(
            "$setOnInsert",
            "createdAt",
            bson::DateTime::from_chrono(now),
        )
        .operator("$setOnInsert", "__v", 0)
        .stamped_at(now);
    db.raw(Subscription::COLLECTION)
        .update_one(doc! { "stripeSubscriptionId": sub_id }, update.build())
        .upsert(true)
        .await?;
    Ok(())
}

/// The filter for subscription `sub_id` unless an event newer than
/// `created` was applied to it.
fn not_newer_than(sub_id: &str, created: bson::DateTime) -> Document {
    doc! {
        "stripeSubscriptionId": sub_id,
        "$or": [
            { "lastStripeEventAt": { "$exists": false } },
            { "lastStripeEventAt": { "$lte": created } },
        ],
    }
}

fn event_time(created_unix: i64) -> bson::DateTime {
    bson::DateTime::from_millis(created_unix.saturating_mul(1000))
}

/// Moves subscription `sub_id` from one of `from` to `to`, for an event
/// made at `created_unix` seconds, unless a newer event was applied.
/// `false`: nothing matched (already moved, or decided by a newer event).
pub async fn move_status(
    db: &Db,
    sub_id: &str,
    from: &[&str],
    to: &str,
    created_unix: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let created = event_time(created_unix);
    let mut filter = not_newer_than(sub_id, created);
    filter.insert("status", doc! { "$in": from });
    let update = Update::new()
        .set("status", to)
        .set("lastStripeEventAt", created)
        .stamped_at(now);
    let updated = db
        .raw(Subscription::COLLECTION)
        .update_one(filter, update.build())
        .await?;
    Ok(updated.matched_count > 0)
}

/// Writes `fields` (a Stripe subscription's state, as stored fields) onto
/// subscription `sub_id` for an event made at `created_unix` seconds,
/// unless a newer event was applied; creates the document when there is
/// none. `false`: stale.
pub async fn write_if_newer(
    db: &Db,
    sub_id: &str,
    fields: Document,
    created_unix: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let created = event_time(created_unix);
    let collection = db.raw(Subscription::COLLECTION);
    let update = Update::new()
        .set_all(fields.clone())
        .set("lastStripeEventAt", created)
        .stamped_at(now);
    let updated = collection
        .update_one(not_newer_than(sub_id, created), update.build())
        .await?;
    if updated.matched_count > 0 {
        return Ok(true);
    }
    if collection
        .find_one(doc! { "stripeSubscriptionId": sub_id })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let mut new = fields;
    new.insert("lastStripeEventAt", created);
    new.insert("stripeSubscriptionId", sub_id);
    store::stamp_new(&mut new, bson::DateTime::from_chrono(now));
    // Stripe's first status of a subscription being paid for.
    if !new.contains_key("status") {
        new.insert("status", "incomplete");
    }
    // Upsert keyed on the id, so two first events racing make one document.
    collection
        .update_one(
            doc! { "stripeSubscriptionId": sub_id },
            doc! { "$setOnInsert": new },
        )
        .upsert(true)
        .await?;
    Ok(true)
}
