//! Every MongoDB read and write of contact lists (`contactlists`): the one
//! place that builds their filters and updates. Each is scoped by the
//! owner's `userId`, so another tenant's list is simply not found.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store::{self, owned, Update};
use crate::model::{ContactList, Number, Record};

/// What a missing list is called in a 404.
pub const WHAT: &str = "contact list";

/// The checked fields a patch changes; `None` leaves a field as stored.
#[derive(Clone, Debug, Default)]
pub struct ListChanges {
    /// `name` and `description`, those given, from
    /// [`input::name_and_description_fields`](crate::http::input::name_and_description_fields).
    pub name_and_description: Document,
    pub color: Option<String>,
    /// Replaces the whole settings object.
    pub settings: Option<Document>,
}

impl ListChanges {
    fn fields(&self) -> Document {
        let mut fields = self.name_and_description.clone();
        if let Some(color) = &self.color {
            fields.insert("color", color.as_str());
        }
        if let Some(settings) = &self.settings {
            fields.insert("settings", settings.clone());
        }
        fields
    }
}

/// One contact's entry in a list.
pub fn entry(contact_id: ObjectId, at: DateTime) -> Document {
    doc! { "contactId": contact_id, "addedAt": at }
}

/// A count typed the way the Node driver writes it.
pub fn count(n: usize) -> Number {
    Number::node(n as f64)
}

/// [`count`] as BSON.
fn count_bson(n: usize) -> Bson {
    match count(n) {
        Number::Int32(i) => Bson::Int32(i),
        Number::Int64(i) => Bson::Int64(i),
        Number::Double(d) => Bson::Double(d),
    }
}

/// One page of the user's lists, most recently used first, then by name:
/// those whose name matches `name` (a condition), system lists only when
/// `include_system`.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    name: Option<Bson>,
    include_system: bool,
    skip: u64,
    limit: u64,
) -> Result<(Vec<ContactList>, u64)> {
    let mut filter = doc! { "userId": user_id };
    if let Some(name) = name {
        filter.insert("name", name);
    }
    if !include_system {
        filter.insert("isSystem", doc! { "$ne": true });
    }
    let sort = doc! { "metadata.lastUsed": -1, "name": 1, "_id": 1 };
    store::find_page(db, filter, sort, skip, limit).await
}

/// Applies `changes` with one targeted `$set`, so every other field,
/// known or not, is left as stored. Nothing is written when there are no
/// changes; otherwise 404 when the user has no list `id`.
pub async fn update(db: &Db, user_id: ObjectId, id: ObjectId, changes: &ListChanges) -> Result<()> {
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(());
    }
    owned::set_fields::<ContactList>(db, user_id, id, fields, WHAT).await
}

/// Deletes the user's list `id` unless it is a system list; whether one
/// was deleted.
pub async fn delete_unless_system(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let mut filter = owned::scoped(user_id, id);
    filter.insert("isSystem", doc! { "$ne": true });
    let result = db.raw(ContactList::COLLECTION).delete_one(filter).await?;
    Ok(result.deleted_count > 0)
}

/// Appends entries for `missing` (added `now`) to the user's list `id`,
/// with `contactsCount` in the same update, provided the list still holds
/// `size` entries and none of `missing`: then the count is exact and no
/// contact is listed twice. Whether it did.
pub async fn push_entries(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    size: usize,
    missing: &[ObjectId],
    now: DateTime,
) -> Result<bool> {
    let mut filter = owned::scoped(user_id, id);
    filter.insert("contacts", doc! { "$size": size as i64 });
    filter.insert("contacts.contactId", doc! { "$nin": missing });
    let entries: Vec<Document> = missing.iter().map(|id| entry(*id, now)).collect();
    let update = Update::new()
        .push("contacts", doc! { "$each": entries })
        .set("contactsCount", count_bson(size + missing.len()))
        .stamped_at(now)
        .build();
    let result = db
        .raw(ContactList::COLLECTION)
        .update_one(filter, update)
        .await?;
    Ok(result.matched_count == 1)
}

/// Takes the entries of `contact_ids` out of the user's list `id`.
pub async fn pull_entries(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    contact_ids: &[ObjectId],
) -> Result<()> {
    let update = Update::new()
        .pull("contacts", doc! { "contactId": { "$in": contact_ids } })
        .build();
    db.raw(ContactList::COLLECTION)
        .update_one(owned::scoped(user_id, id), update)
        .await?;
    Ok(())
}

/// Sets `contactsCount` to `size`, provided the list still holds `size`
/// entries, so a stale length is never written over a newer one; whether
/// it did. The count follows the entries, so `updatedAt` is left alone.
pub async fn set_count(db: &Db, user_id: ObjectId, id: ObjectId, size: usize) -> Result<bool> {
    let mut filter = owned::scoped(user_id, id);
    filter.insert("contacts", doc! { "$size": size as i64 });
    let result = db
        .raw(ContactList::COLLECTION)
        .update_one(
            filter,
            doc! { "$set": { "contactsCount": count_bson(size) } },
        )
        .await?;
    Ok(result.matched_count == 1)
}

/// Sets the user's list's `metadata.lastUsed` to now, alone, so other
/// metadata keys survive; 404 when there is no such list.
pub async fn mark_used(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let stored = db
        .raw(ContactList::COLLECTION)
        .find_one(owned::scoped(user_id, id))
        .projection(doc! { "metadata": 1 })
        .await?
        .ok_or(Error::NotFound { what: WHAT })?;
    let now = DateTime::now();
    let fields = match stored.get("metadata") {
        Some(Bson::Document(_)) => doc! { "metadata.lastUsed": now },
        // Absent or null: a dotted `$set` would fail on null.
        _ => doc! { "metadata": { "lastUsed": now } },
    };
    owned::set_fields::<ContactList>(db, user_id, id, fields, WHAT).await
}
