//! Create, read, update, delete, pause and activate one automation, always
//! within one user's automations: another user's id is simply not found.

use chrono_tz::Tz;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, DateTime, Document};

use super::input::{self, AutomationInput};
use super::view::AutomationView;
use crate::error::{Error, Result};
use crate::http::page::{PageRequest, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::scheduled_call::status;
use crate::model::{Automation, Record, ScheduledCall, User};

const NOT_FOUND: Error = Error::NotFound { what: "automation" };

/// The filter for automation `id` of `user_id`.
fn owned(user_id: ObjectId, id: ObjectId) -> Document {
    doc! { "_id": id, "userId": user_id }
}

fn not_found(error: Error) -> Error {
    match error {
        Error::NotFound { .. } => NOT_FOUND,
        other => other,
    }
}

/// The zone of a new automation that names none: the user's, else New
/// York (where production's users are).
async fn user_zone(db: &Db, user_id: ObjectId) -> Result<Tz> {
    let user: Option<User> = store::find_by_id(db, user_id).await?;
    Ok(user
        .as_ref()
        .and_then(User::time_zone)
        .unwrap_or(chrono_tz::America::New_York))
}

/// The user's automations, newest first; `active` filters on `isActive`.
pub async fn list(
    db: &Db,
    user_id: ObjectId,
    active: Option<bool>,
    page: PageRequest,
) -> Result<Paged<AutomationView>> {
    let mut filter = doc! { "userId": user_id };
    match active {
        Some(true) => {
            filter.insert("isActive", true);
        }
        Some(false) => {
            filter.insert("isActive", doc! { "$ne": true });
        }
        None => {}
    }
    let found = store::find_page(
        db,
        filter,
        doc! { "createdAt": -1, "_id": -1 },
        page.skip(),
        page.limit,
    )
    .await?;
    Ok(page.paged(found, |a: Automation| AutomationView::from(a)))
}

/// The user's automation `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    store::find_one(db, owned(user_id, id))
        .await?
        .ok_or(NOT_FOUND)
}

/// Creates an automation in the second-generation shape, with the Node
/// app's counters. `nextRun` and `lastRun` are now: the evaluator looks at
/// it on its next pass and calls only occurrences from now on.
pub async fn create(db: &Db, user_id: ObjectId, body: AutomationInput) -> Result<Automation> {
    let zone = user_zone(db, user_id).await?;
    let changes = input::changes(db, user_id, body, None, zone).await?;
    let now = DateTime::now();
    let mut document = changes.set;
    document.insert("_id", ObjectId::new());
    document.insert("userId", user_id);
    document.insert("pendingCount", 0_i32);
    document.insert("completedCount", 0_i32);
    document.insert("executionHistory", Vec::<Bson>::new());
    document.insert("nextRun", now);
    document.insert("lastRun", now);
    let joined: Document = contact_ids(&document)
        .into_iter()
        .map(|id| (id.to_hex(), Bson::DateTime(now)))
        .collect();
    document.insert("contactsJoinedAt", joined);
    let automation: Automation = store::decode(document)?;
    store::insert(db, &automation).await
}

/// Applies `body` with one targeted update: the given fields are `$set`,
/// nothing else is touched, so legacy and unknown fields survive. A first
/// generation document whose timing changes gets the complete second
/// generation timing and loses `triggerType` (see [`input::changes`]).
///
/// A change of when, whom or from which date it calls sets `nextRun` to
/// now so the next evaluator pass looks at it. `lastRun` is kept: the pass
/// covers `(lastRun, now]`, so an occurrence the change moves into that
/// window (a time of day a few minutes ago, a contact whose date was
/// yesterday) is still placed if it is not older than the evaluator's
/// lateness limit.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    body: AutomationInput,
) -> Result<Automation> {
    let existing = get(db, user_id, id).await?;
    let zone = user_zone(db, user_id).await?;
    let changes = input::changes(db, user_id, body, Some(&existing), zone).await?;
    let mut set = changes.set;
    if changes.reschedule {
        set.insert("nextRun", DateTime::now());
    }
    if set.is_empty() && changes.unset.is_empty() {
        return Ok(existing);
    }
    let now = DateTime::now();
    // Contacts new to the automation joined now: their day is the
    // reference date of last resort.
    let known = existing.contacts_joined_at.clone().unwrap_or_default();
    if let Some(Bson::Array(_)) = set.get("contacts") {
        let mut joined = known.clone();
        for id in contact_ids(&set) {
            if !joined.contains_key(id.to_hex()) {
                joined.insert(id.to_hex(), now);
            }
        }
        if joined != known {
            set.insert("contactsJoinedAt", joined);
        }
    }
    set.insert("updatedAt", now);
    let mut update = doc! { "$set": set };
    if !changes.unset.is_empty() {
        update.insert("$unset", changes.unset);
    }
    let result = db
        .raw(Automation::COLLECTION)
        .update_one(owned(user_id, id), update)
        .await?;
    if result.matched_count == 0 {
        return Err(NOT_FOUND);
    }
    get(db, user_id, id).await
}

/// The ids in a document's `contacts` array.
fn contact_ids(document: &Document) -> Vec<ObjectId> {
    document
        .get_array("contacts")
        .map(|ids| ids.iter().filter_map(Bson::as_object_id).collect())
        .unwrap_or_default()
}

/// Deletes the automation and cancels its calls that have not started.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let result = db
        .raw(Automation::COLLECTION)
        .delete_one(owned(user_id, id))
        .await?;
    if result.deleted_count == 0 {
        return Err(NOT_FOUND);
    }
    cancel_not_started(db, user_id, id).await?;
    Ok(())
}

/// Stops calling: `isActive: false`, and the calls not yet started are
/// cancelled (a call already with a dialer finishes).
pub async fn pause(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    store::set_fields::<Automation>(db, owned(user_id, id), doc! { "isActive": false })
        .await
        .map_err(not_found)?;
    cancel_not_started(db, user_id, id).await?;
    let open = db
        .raw(ScheduledCall::COLLECTION)
        .count_documents(doc! { "automationId": id, "userId": user_id, "status": { "$in": status::OPEN.to_vec() } })
        .await?;
    store::set_fields::<Automation>(
        db,
        owned(user_id, id),
        doc! { "pendingCount": i32::try_from(open).unwrap_or(i32::MAX) },
    )
    .await
    .map_err(not_found)?;
    get(db, user_id, id).await
}

/// Starts calling again from now: occurrences that passed while it was
/// paused are not made up.
pub async fn activate(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    let now = DateTime::now();
    store::set_fields::<Automation>(
        db,
        owned(user_id, id),
        doc! { "isActive": true, "nextRun": now, "lastRun": now },
    )
    .await
    .map_err(not_found)?;
    get(db, user_id, id).await
}

/// Cancels the automation's scheduled calls that have not started.
pub async fn cancel_not_started(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<u64> {
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_many(
            doc! {
                "automationId": id,
                "userId": user_id,
                "status": { "$in": status::NOT_STARTED.to_vec() },
            },
            doc! { "$set": {
                "status": status::CANCELLED,
                "updatedAt": bson::DateTime::now(),
            } },
        )
        .await?;
    Ok(result.modified_count)
}
