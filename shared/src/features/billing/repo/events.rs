//! `stripeevents` (ours): the ids of the Stripe events applied, or being
//! applied. Its unique index on `eventId` is what makes an event apply
//! once.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc};

use super::is_duplicate_key;
use crate::error::Result;
use crate::infra::db::Db;

/// The collection's name.
pub const COLLECTION: &str = crate::model::STRIPE_EVENTS;

/// Records event `id` (of type `kind`, made at `created_unix` seconds);
/// `false` when it was already there.
pub async fn claim(
    db: &Db,
    id: &str,
    kind: &str,
    created_unix: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let inserted = db
        .raw(COLLECTION)
        .insert_one(doc! {
            "eventId": id,
            "type": kind,
            "created": bson::DateTime::from_millis(created_unix.saturating_mul(1000)),
            "receivedAt": bson::DateTime::from_chrono(now),
        })
        .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(error) if is_duplicate_key(&error) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Forgets event `id`, so Stripe's next delivery applies it.
pub async fn release(db: &Db, id: &str) -> Result<()> {
    db.raw(COLLECTION)
        .delete_one(doc! { "eventId": id })
        .await?;
    Ok(())
}
