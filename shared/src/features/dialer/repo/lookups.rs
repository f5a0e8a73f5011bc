//! What the checks before dialing read that a record does not hold: a
//! contact's opt-out, an automation's zone.

use chrono_tz::Tz;
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, owned};
use crate::model::{Automation, Contact, Record};

/// The user's contact `id` and whether it opted out (`optedOut`, a field
/// the model does not hold).
pub async fn contact_with_opt_out(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
) -> Result<Option<(Contact, bool)>> {
    let Some(document) = db
        .raw(Contact::COLLECTION)
        .find_one(owned::scoped(user_id, id))
        .await?
    else {
        return Ok(None);
    };
    let opted_out = document.get_bool("optedOut").unwrap_or(false);
    let contact: Contact = store::decode(document)?;
    Ok(Some((contact, opted_out)))
}

/// The automation's zone, when it names a valid one.
pub async fn automation_zone(db: &Db, id: ObjectId) -> Result<Option<Tz>> {
    let document: Option<Document> = db
        .raw(Automation::COLLECTION)
        .find_one(doc! { "_id": id })
        .projection(doc! { "timezone": 1 })
        .await?;
    Ok(document
        .as_ref()
        .and_then(|d| d.get_str("timezone").ok())
        .and_then(|zone| zone.trim().parse().ok()))
}
