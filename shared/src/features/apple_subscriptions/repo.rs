//! Every MongoDB read and write of App Store subscriptions:
//!
//! - `subscriptions`: one document per App Store subscription (original
//!   transaction), in the legacy fields (`productId`, `transactionId`,
//!   `originalTransactionId`, `status`, `plan`, `startDate`,
//!   `currentPeriodStart`, `currentPeriodEnd`, `renewalDate`, `endDate`,
//!   `lastReceiptValidation`, `validationStatus`), plus ours:
//!   `appStoreKey` (the original transaction id, under a unique index, so
//!   racing deliveries make one document), `appStoreEnvironment` and
//!   `lastAppleSignedDate` (when Apple signed the state last applied, so
//!   an older one never rolls it back). A legacy receipt row with the
//!   same `originalTransactionId` is adopted, not duplicated;
//! - `users`: `hasActiveSubscription` and `subscriptionStatus`, which the
//!   dialer and the Node app's readers check;
//! - `applenotifications` (ours): each `notificationUUID` claimed once,
//!   with what became of it.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use super::state::AppleState;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, Update};
use crate::model::{Record, Subscription, User, APPLE_NOTIFICATIONS};

/// Whether a write lost to a unique index (E11000).
fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == 11000,
        ErrorKind::Command(e) => e.code == 11000,
        _ => error.to_string().contains("E11000"),
    }
}

fn date(ms: Option<i64>) -> Bson {
    ms.map_or(Bson::Null, |ms| {
        Bson::DateTime(bson::DateTime::from_millis(ms))
    })
}

/// The legacy fields `state` sets, validated at `now`.
fn fields(state: &AppleState, now: DateTime<Utc>) -> Document {
    let text = |value: &Option<String>| value.clone().map_or(Bson::Null, Bson::String);
    doc! {
        "productId": text(&state.product_id),
        "transactionId": text(&state.transaction_id),
        "originalTransactionId": &state.original_transaction_id,
        "status": state.status,
        "plan": state.plan(),
        "startDate": date(state.start_date),
        "currentPeriodStart": date(state.current_period_start),
        "currentPeriodEnd": date(state.current_period_end),
        "renewalDate": date(state.renewal_date),
        "endDate": date(state.end_date),
        "lastReceiptValidation": bson::DateTime::from_chrono(now),
        "validationStatus": state.validation_status(),
        "appStoreEnvironment": text(&state.environment),
    }
}

/// The filter for App Store subscription `original` unless a state
/// signed after `signed` was applied to it.
fn not_newer_than(original: &str, signed: bson::DateTime) -> Document {
    doc! {
        "appStoreKey": original,
        "$or": [
            { "lastAppleSignedDate": { "$exists": false } },
            { "lastAppleSignedDate": { "$lte": signed } },
        ],
    }
}

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Applied,
    /// A state Apple signed later is already there.
    Stale,
}

/// Writes `state`, signed by Apple at `signed_ms`, onto the user's
/// document for its original transaction, unless a later-signed state
/// was applied; adopts a legacy row with that `originalTransactionId`,
/// or creates the document.
pub async fn write_if_newer(
    db: &Db,
    user_id: ObjectId,
    state: &AppleState,
    signed_ms: i64,
    now: DateTime<Utc>,
) -> Result<Written> {
    let original = state.original_transaction_id.as_str();
    let signed = bson::DateTime::from_millis(signed_ms);
    let collection = db.raw(Subscription::COLLECTION);
    let update = || {
        Update::new()
            .set_all(fields(state, now))
            .set("userId", user_id)
            .set("appStoreKey", original)
            .set("lastAppleSignedDate", signed)
            .stamped_at(now)
            .build()
    };
    // Twice: a first insert that loses a race is retried as an update.
    for _ in 0..2 {
        let updated = collection
            .update_one(not_newer_than(original, signed), update())
            .await?;
        if updated.matched_count > 0 {
            return Ok(Written::Applied);
        }
        if collection
            .find_one(doc! { "appStoreKey": original })
            .projection(doc! { "_id": 1 })
            .await?
            .is_some()
        {
            return Ok(Written::Stale);
        }
        // A legacy receipt row for this subscription keeps its document.
        let adopted = collection
            .update_one(
                doc! { "originalTransactionId": original, "appStoreKey": { "$exists": false } },
                update(),
            )
            .await;
        match adopted {
            Ok(result) if result.matched_count > 0 => return Ok(Written::Applied),
            Ok(_) => {}
            Err(error) if is_duplicate_key(&error) => continue,
            Err(error) => return Err(error.into()),
        }
        let mut new = fields(state, now);
        new.insert("userId", user_id);
        new.insert("appStoreKey", original);
        new.insert("lastAppleSignedDate", signed);
        store::stamp_new(&mut new, bson::DateTime::from_chrono(now));
        let inserted = collection
            .update_one(
                doc! { "appStoreKey": original },
                doc! { "$setOnInsert": new },
            )
            .upsert(true)
            .await;
        match inserted {
            Ok(result) if result.upserted_id.is_some() => return Ok(Written::Applied),
            Ok(_) => continue,
            Err(error) if is_duplicate_key(&error) => continue,
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Written::Stale)
}

/// The user App Store subscription `original` belongs to, if we have it
/// (ours, or a legacy receipt row).
pub async fn owner_of(db: &Db, original: &str) -> Result<Option<ObjectId>> {
    let found = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! { "$or": [
            { "appStoreKey": original },
            { "originalTransactionId": original },
        ] })
        .projection(doc! { "userId": 1 })
        .await?;
    Ok(found.and_then(|d| d.get_object_id("userId").ok()))
}

/// The document of App Store subscription `original`.
pub async fn subscription(db: &Db, original: &str) -> Result<Option<Subscription>> {
    let found = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! { "appStoreKey": original })
        .await?;
    found.map(store::decode).transpose()
}

/// Whether user `id` exists.
pub async fn user_exists(db: &Db, id: ObjectId) -> Result<bool> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some())
}

/// The user's `hasActiveSubscription`, as stored.
pub async fn user_has_active(db: &Db, id: ObjectId) -> Result<bool> {
    Ok(db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "hasActiveSubscription": 1 })
        .await?
        .and_then(|u| u.get_bool("hasActiveSubscription").ok())
        .unwrap_or(false))
}

/// Whether the user holds a paid subscription that lets them call, other
/// than App Store subscription `original`: a free plan (`plan: free`, or
/// a call limit with nothing bought behind it) does not count.
pub async fn other_entitled(db: &Db, user_id: ObjectId, original: &str) -> Result<bool> {
    let bought = |field: &str| {
        let mut filter = Document::new();
        filter.insert(field, doc! { "$exists": true, "$ne": Bson::Null });
        filter
    };
    let found = db
        .raw(Subscription::COLLECTION)
        .find_one(doc! {
            "userId": user_id,
            "appStoreKey": { "$ne": original },
            "originalTransactionId": { "$ne": original },
            "status": { "$in": Subscription::ACTIVE_STATUSES.to_vec() },
            "plan": { "$nin": ["free", "Free", "FREE"] },
            "$or": [
                { "callLimit": { "$exists": false } },
                { "callLimit": Bson::Null },
                bought("stripeSubscriptionId"),
                bought("productId"),
                bought("originalTransactionId"),
            ],
        })
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(found.is_some())
}

/// Sets the user's `hasActiveSubscription`, and `subscriptionStatus` when
/// given.
pub async fn sync_user(
    db: &Db,
    user_id: ObjectId,
    has_active_subscription: bool,
    subscription_status: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = Update::new().set("hasActiveSubscription", has_active_subscription);
    if let Some(status) = subscription_status {
        update = update.set("subscriptionStatus", status);
    }
    db.raw(User::COLLECTION)
        .update_one(doc! { "_id": user_id }, update.stamped_at(now).build())
        .await?;
    Ok(())
}

/// A notification to claim: its id, type and when Apple signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationClaim<'a> {
    pub uuid: &'a str,
    pub kind: &'a str,
    pub subtype: Option<&'a str>,
    pub signed_ms: Option<i64>,
    pub original_transaction_id: Option<&'a str>,
    pub transaction_id: Option<&'a str>,
}

/// Records notification `claim`; `false` when it was already there (a
/// redelivery, or a delivery racing this one).
pub async fn claim_notification(
    db: &Db,
    claim: &NotificationClaim<'_>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let text = |value: Option<&str>| value.map_or(Bson::Null, |v| Bson::String(v.to_string()));
    let inserted = db
        .raw(APPLE_NOTIFICATIONS)
        .insert_one(doc! {
            "notificationUUID": claim.uuid,
            "notificationType": claim.kind,
            "subtype": text(claim.subtype),
            "signedDate": date(claim.signed_ms),
            "originalTransactionId": text(claim.original_transaction_id),
            "transactionId": text(claim.transaction_id),
            "outcome": "applying",
            "receivedAt": bson::DateTime::from_chrono(now),
        })
        .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(error) if is_duplicate_key(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Records what became of notification `uuid` (`applied`, `stale`,
/// `unmatched`, `ignored`) and for whom.
pub async fn notification_outcome(
    db: &Db,
    uuid: &str,
    outcome: &str,
    user_id: Option<ObjectId>,
) -> Result<()> {
    let user = user_id.map_or(Bson::Null, Bson::ObjectId);
    db.raw(APPLE_NOTIFICATIONS)
        .update_one(
            doc! { "notificationUUID": uuid },
            Update::new()
                .set("outcome", outcome)
                .set("userId", user)
                .build(),
        )
        .await?;
    Ok(())
}

/// Forgets notification `uuid`, so Apple's next delivery applies it.
pub async fn release_notification(db: &Db, uuid: &str) -> Result<()> {
    db.raw(APPLE_NOTIFICATIONS)
        .delete_one(doc! { "notificationUUID": uuid })
        .await?;
    Ok(())
}
