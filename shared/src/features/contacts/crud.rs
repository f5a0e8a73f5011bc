//! Create, read, update and delete of one contact, always within one
//! user's contacts: another user's id is simply not found.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use super::write::{self, ContactPatch, NewContact};
use crate::error::{Error, Result};
use crate::http::id_list::IdList;
use crate::infra::db::Db;
use crate::infra::store;
use crate::infra::store::owned;
use crate::model::phone;
use crate::model::{Contact, ContactList, Group, Record};

const WHAT: &str = "contact";
const NOT_FOUND: Error = Error::NotFound { what: WHAT };

/// Creates a contact after checking every field, the groups' owner and
/// that the user has no contact with this number yet.
pub async fn create(db: &Db, user_id: ObjectId, input: NewContact) -> Result<Contact> {
    let name = write::name(&input.name)?;
    let phone_number = write::phone_number(&input.phone_number, user_region(db, user_id).await?)?;
    let email = write::email(input.email.as_deref())?;
    let timezone = write::timezone(input.timezone.as_deref())?;
    let tags = write::tags(input.tags.unwrap_or_default());
    let groups = IdList::parse_unbounded("groups", input.groups.as_deref().unwrap_or_default())?;
    let metadata = match &input.metadata {
        Some(map) => write::metadata(map)?,
        None => Document::new(),
    };
    let groups = owned_groups(db, user_id, groups).await?;
    ensure_unique_phone(db, user_id, &phone_number, None).await?;

    let contact = Contact {
        id: ObjectId::new(),
        user_id,
        name,
        phone_number,
        email: Some(email),
        groups: groups.into_iter().map(Into::into).collect(),
        tags,
        metadata: Some(metadata),
        is_active: Some(input.is_active.unwrap_or(true)),
        timezone,
        created_at: None,
        updated_at: None,
        version: None,
    };
    store::insert(db, &contact).await
}

/// The user's contact `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Contact> {
    owned::find(db, user_id, id, WHAT).await
}

/// Applies `patch` with one targeted `$set`, so fields this backend does
/// not know survive, and returns the contact as stored.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: ContactPatch,
) -> Result<Contact> {
    let mut fields = Document::new();
    let mut phone_number = None;
    let mut groups = None;
    if let Some(name) = patch.name {
        let name = name.ok_or_else(|| Error::validation("name", "name must not be null"))?;
        fields.insert("name", write::name(&name)?);
    }
    if let Some(raw) = patch.phone_number {
        let raw =
            raw.ok_or_else(|| Error::validation("phoneNumber", "phoneNumber must not be null"))?;
        let e164 = write::phone_number(&raw, user_region(db, user_id).await?)?;
        fields.insert("phoneNumber", e164.clone());
        phone_number = Some(e164);
    }
    if let Some(email) = patch.email {
        fields.insert("email", write::email(email.as_deref())?);
    }
    if let Some(tags) = patch.tags {
        fields.insert("tags", write::tags(tags.unwrap_or_default()));
    }
    if let Some(raw) = patch.groups {
        groups = Some(IdList::parse_unbounded(
            "groups",
            raw.as_deref().unwrap_or_default(),
        )?);
    }
    if let Some(metadata) = patch.metadata {
        let metadata = match &metadata {
            Some(map) => write::metadata(map)?,
            None => Document::new(),
        };
        fields.insert("metadata", metadata);
    }
    if let Some(active) = patch.is_active {
        let active =
            active.ok_or_else(|| Error::validation("isActive", "isActive must not be null"))?;
        fields.insert("isActive", active);
    }
    if let Some(zone) = patch.timezone {
        match write::timezone(zone.as_deref())? {
            Some(zone) => fields.insert("timezone", zone),
            // Cleared: the model reads "" as no zone, and `$unset` is
            // avoided so the update stays a pure `$set`.
            None => fields.insert("timezone", ""),
        };
    }

    get(db, user_id, id).await?;
    if let Some(groups) = groups {
        let groups = owned_groups(db, user_id, groups).await?;
        fields.insert(
            "groups",
            groups.into_iter().map(Bson::ObjectId).collect::<Vec<_>>(),
        );
    }
    if let Some(e164) = &phone_number {
        ensure_unique_phone(db, user_id, e164, Some(id)).await?;
    }
    owned::set_fields::<Contact>(db, user_id, id, fields, WHAT).await?;
    get(db, user_id, id).await
}

/// Deletes the contact and takes it out of the user's contact lists,
/// keeping their `contactsCount` equal to what they hold.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let result = db
        .raw(Contact::COLLECTION)
        .delete_one(owned::scoped(user_id, id))
        .await?;
    if result.deleted_count == 0 {
        return Err(NOT_FOUND);
    }
    remove_from_lists(db, user_id, id).await
}

/// Pulls `{contactId}` entries (stored as an id or as its hex) from the
/// user's lists and recounts them.
async fn remove_from_lists(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let forms = vec![Bson::ObjectId(id), Bson::String(id.to_hex())];
    let lists = db.raw(ContactList::COLLECTION);
    let affected: Vec<Document> = lists
        .find(doc! { "userId": user_id, "contacts.contactId": { "$in": forms.clone() } })
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?;
    for list in affected {
        let Ok(list_id) = list.get_object_id("_id") else {
            continue;
        };
        let filter = doc! { "_id": list_id, "userId": user_id };
        lists
            .update_one(
                filter.clone(),
                doc! { "$pull": { "contacts": { "contactId": { "$in": forms.clone() } } } },
            )
            .await?;
        let remaining = lists
            .find_one(filter.clone())
            .projection(doc! { "contacts": 1 })
            .await?
            .and_then(|list| list.get_array("contacts").ok().map(Vec::len))
            .unwrap_or(0);
        lists
            .update_one(
                filter,
                doc! { "$set": {
                    "contactsCount": i32::try_from(remaining).unwrap_or(i32::MAX),
                    "updatedAt": DateTime::now(),
                } },
            )
            .await?;
    }
    Ok(())
}

/// 409 naming `phoneNumber` when another contact of the user (other than
/// `except`) holds `e164` in any stored form, legacy `2155550123` included.
pub async fn ensure_unique_phone(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    except: Option<ObjectId>,
) -> Result<()> {
    let mut filter = doc! {
        "userId": user_id,
        "phoneNumber": { "$in": phone::stored_forms(e164) },
    };
    if let Some(id) = except {
        filter.insert("_id", doc! { "$ne": id });
    }
    let existing = db
        .raw(Contact::COLLECTION)
        .find_one(filter)
        .projection(doc! { "_id": 1 })
        .await?;
    match existing {
        Some(_) => Err(Error::Conflict {
            field: Some("phoneNumber".into()),
            message: "a contact with this phone number already exists".into(),
        }),
        None => Ok(()),
    }
}

/// The distinct ids of `ids`, in request order, after checking each is a
/// group of `user_id` (422 naming `groups[i]` otherwise).
async fn owned_groups(db: &Db, user_id: ObjectId, ids: IdList) -> Result<Vec<ObjectId>> {
    let none = HashSet::new();
    let found = owned::owned_among(db, Group::COLLECTION, user_id, &ids.to_check(&none)).await?;
    ids.ensure_among(&found, &none, "group")?;
    Ok(ids.ids())
}

/// The region the user's numbers without a country code belong to.
pub async fn user_region(db: &Db, user_id: ObjectId) -> Result<Option<phonenumber::country::Id>> {
    let user: Option<crate::model::User> = crate::infra::store::find_by_id(db, user_id).await?;
    Ok(user.and_then(|user| user.phone_region()))
}
