//! `users`: what billing keeps on a user. Its Stripe customer and
//! subscription (copied from the subscription, so the Node app's readers
//! see them), and its free minutes, spent once per call: the user
//! remembers each call it gave minutes to in `meteredFreeMinutes`.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use super::subscriptions::StripeLink;
use super::REMEMBERED_CALLS;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{node_json, Number, Record, User};

/// A user as free-minute metering reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct FreeMinutes {
    pub user: User,
    /// What the user already gave the call being metered, if it did.
    pub taken_for_call: Option<f64>,
}

/// Whether user `id` exists.
pub async fn exists(db: &Db, id: ObjectId) -> Result<bool> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": id })
        .await?
        .is_some())
}

/// The user whose Stripe customer is `customer`.
pub async fn with_customer(db: &Db, customer: &str) -> Result<Option<ObjectId>> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "stripeCustomerId": customer })
        .projection(doc! { "_id": 1 })
        .await?
        .and_then(|user| user.get_object_id("_id").ok()))
}

/// The user's Stripe customer, unless blank.
pub async fn stripe_customer(db: &Db, user_id: ObjectId) -> Result<Option<String>> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .projection(doc! { "stripeCustomerId": 1 })
        .await?
        .and_then(|u| u.get_str("stripeCustomerId").ok().map(str::to_string))
        .filter(|c| !c.trim().is_empty()))
}

/// Stores the Stripe customer made for the user.
pub async fn set_stripe_customer(db: &Db, user_id: ObjectId, customer: &str) -> Result<()> {
    let update = Update::new().set("stripeCustomerId", customer);
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.build())
        .await?;
    Ok(())
}

/// Ties the Stripe customer and subscription a Checkout session names to
/// the user; nothing when it names neither.
pub async fn link_checkout(
    db: &Db,
    user_id: ObjectId,
    customer: Option<&str>,
    subscription: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    if customer.is_none() && subscription.is_none() {
        return Ok(());
    }
    let mut update = Update::new();
    if let Some(customer) = customer {
        update = update.set("stripeCustomerId", customer);
    }
    if let Some(subscription) = subscription {
        update = update.set("stripeSubscriptionId", subscription);
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.stamped_at(now).build())
        .await?;
    Ok(())
}

/// Copies Stripe subscription `sub_id`'s state onto the user, with
/// whether any of the user's subscriptions is active.
pub async fn copy_subscription(
    db: &Db,
    user_id: ObjectId,
    sub_id: &str,
    link: &StripeLink,
    has_active_subscription: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = Update::new()
        .set("hasActiveSubscription", has_active_subscription)
        .set("stripeSubscriptionId", sub_id);
    let fields = [
        ("subscriptionStatus", &link.status),
        ("stripeCustomerId", &link.customer_id),
        ("stripePriceId", &link.price_id),
        ("stripeSubscriptionItemId", &link.item_id),
    ];
    for (field, value) in fields {
        if let Some(value) = value {
            update = update.set(field, value.as_str());
        }
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.stamped_at(now).build())
        .await?;
    Ok(())
}

/// The user's free minutes, and what it already gave `call_id`.
pub async fn free_minutes(
    db: &Db,
    user_id: ObjectId,
    call_id: ObjectId,
) -> Result<Option<FreeMinutes>> {
    let Some(document) = db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .await?
    else {
        return Ok(None);
    };
    let taken_for_call = taken_for(&document, call_id);
    Ok(Some(FreeMinutes {
        user: store::decode(document)?,
        taken_for_call,
    }))
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

/// Spends `take` free minutes of `read` (the balance as read) for
/// `call_id`, leaving `left`, and remembers the call in the same update;
/// `false` when the balance changed since it was read or the call took
/// its minutes already.
pub async fn spend_free_minutes(
    db: &Db,
    user_id: ObjectId,
    call_id: ObjectId,
    read: Option<Number>,
    take: f64,
    left: f64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let filter = doc! {
        "_id": user_id,
        "freeMinutes": read.map_or(Bson::Null, stored),
        "meteredFreeMinutes.callId": { "$ne": call_id },
    };
    let entry = doc! { "callId": call_id, "minutes": take };
    let update = Update::new()
        .set("freeMinutes", node_json::number(left))
        .push(
            "meteredFreeMinutes",
            doc! { "$each": [entry], "$slice": -REMEMBERED_CALLS },
        )
        .stamped_at(now);
    let updated = db
        .raw(User::COLLECTION)
        .update_one(filter, update.build())
        .await?;
    Ok(updated.modified_count == 1)
}

/// A number as it was read.
fn stored(number: Number) -> Bson {
    match number {
        Number::Int32(n) => Bson::Int32(n),
        Number::Int64(n) => Bson::Int64(n),
        Number::Double(n) => Bson::Double(n),
    }
}
