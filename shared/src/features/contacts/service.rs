//! Create, read, update, delete and list of contacts, always within one
//! user's contacts: another user's id is simply not found.

use std::collections::HashSet;

use mongodb::bson::{oid::ObjectId, Document};

use super::input::{self, ContactPatch, NewContact};
use super::repo::{self, ContactChanges, WHAT};
use super::search::ContactQuery;
use super::view::ContactView;
use crate::error::{Error, Result};
use crate::http::id_list::IdList;
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::infra::store::owned;
use crate::model::{Contact, Group, Record, User};

const NOT_FOUND: Error = Error::NotFound { what: WHAT };

/// Creates a contact after checking every field, the groups' owner and
/// that the user has no contact with this number yet: the pre-check finds
/// legacy forms, the unique `phoneKey` a create racing this one.
pub async fn create(db: &Db, user_id: ObjectId, new: NewContact) -> Result<Contact> {
    let name = input::name(&new.name)?;
    let phone_number = input::phone_number(&new.phone_number, user_region(db, user_id).await?)?;
    let email = input::email(new.email.as_deref())?;
    let timezone = input::timezone(new.timezone.as_deref())?;
    let tags = input::tags(new.tags.unwrap_or_default());
    let groups = IdList::parse_unbounded("groups", new.groups.as_deref().unwrap_or_default())?;
    let metadata = match &new.metadata {
        Some(map) => input::metadata(map)?,
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
        is_active: Some(new.is_active.unwrap_or(true)),
        timezone,
        created_at: None,
        updated_at: None,
        version: None,
    };
    repo::insert(db, &contact).await
}

/// The user's contact `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Contact> {
    owned::find(db, user_id, id, WHAT).await
}

/// One page of the user's contacts matching `query`, with the total.
pub async fn list(db: &Db, user_id: ObjectId, query: &ContactQuery) -> Result<Paged<ContactView>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let search = query.to_search()?;
    let found = repo::page(db, user_id, &search, page.skip(), page.limit).await?;
    Ok(page.paged(found, ContactView::from))
}

/// Applies `patch` with one targeted `$set`, so fields this backend does
/// not know survive, and returns the contact as stored.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: ContactPatch,
) -> Result<Contact> {
    let (mut changes, groups) = changes(db, user_id, patch).await?;
    get(db, user_id, id).await?;
    if let Some(groups) = groups {
        changes.groups = Some(owned_groups(db, user_id, groups).await?);
    }
    if let Some(e164) = &changes.phone_number {
        ensure_unique_phone(db, user_id, e164, Some(id)).await?;
    }
    repo::update(db, user_id, id, &changes).await?;
    get(db, user_id, id).await
}

/// The fields `patch` changes, each checked, and the group ids it names
/// (checked against the user's groups once the contact is found).
async fn changes(
    db: &Db,
    user_id: ObjectId,
    patch: ContactPatch,
) -> Result<(ContactChanges, Option<IdList>)> {
    let mut changes = ContactChanges::default();
    let mut groups = None;
    if let Some(name) = patch.name {
        let name = name.ok_or_else(|| Error::validation("name", "name must not be null"))?;
        changes.name = Some(input::name(&name)?);
    }
    if let Some(raw) = patch.phone_number {
        let raw =
            raw.ok_or_else(|| Error::validation("phoneNumber", "phoneNumber must not be null"))?;
        changes.phone_number = Some(input::phone_number(&raw, user_region(db, user_id).await?)?);
    }
    if let Some(email) = patch.email {
        changes.email = Some(input::email(email.as_deref())?);
    }
    if let Some(tags) = patch.tags {
        changes.tags = Some(input::tags(tags.unwrap_or_default()));
    }
    if let Some(raw) = patch.groups {
        let raw = raw.as_deref().unwrap_or_default();
        groups = Some(IdList::parse_unbounded("groups", raw)?);
    }
    if let Some(metadata) = patch.metadata {
        changes.metadata = Some(match &metadata {
            Some(map) => input::metadata(map)?,
            None => Document::new(),
        });
    }
    if let Some(active) = patch.is_active {
        let active =
            active.ok_or_else(|| Error::validation("isActive", "isActive must not be null"))?;
        changes.is_active = Some(active);
    }
    if let Some(zone) = patch.timezone {
        // Cleared: stored as "" (see `ContactChanges::timezone`).
        changes.timezone = Some(input::timezone(zone.as_deref())?.unwrap_or_default());
    }
    Ok((changes, groups))
}

/// Deletes the contact and takes it out of the user's contact lists,
/// keeping their `contactsCount` equal to what they hold.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    if !repo::delete(db, user_id, id).await? {
        return Err(NOT_FOUND);
    }
    repo::remove_from_lists(db, user_id, id).await
}

/// 409 naming `phoneNumber` when another contact of the user (other than
/// `except`) holds `e164` in any stored form, legacy `2155550123` included.
/// Not atomic on its own: the writes' `phoneKey` index is.
pub async fn ensure_unique_phone(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    except: Option<ObjectId>,
) -> Result<()> {
    if repo::phone_taken(db, user_id, e164, except).await? {
        return Err(input::duplicate_phone());
    }
    Ok(())
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
    let user: Option<User> = store::find_by_id(db, user_id).await?;
    Ok(user.and_then(|user| user.phone_region()))
}
