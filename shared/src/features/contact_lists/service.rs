//! Contact lists: plain async functions over the repo, each scoped by the
//! owner's `userId`, so another tenant's list is simply not found.

use std::collections::HashSet;

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::repo::{self, count, entry, ListChanges, WHAT};
use super::view::ContactListView;
use crate::error::{Error, Result};
use crate::features::membership::{self, Holder};
use crate::http::id_list::IdList;
use crate::http::input;
use crate::http::page::{PageRequest, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::infra::store::owned;
use crate::model::{Contact, ContactList, Number, Record};

const MAX_COLOR: usize = 32;
/// The Node app's colour for a new list.
const DEFAULT_COLOR: &str = "blue";
/// Attempts at an update guarded against a concurrent change of the list.
const ATTEMPTS: usize = 8;

/// `POST /api/contact-lists`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewContactList {
    pub name: String,
    pub description: Option<String>,
    /// Any colour name or code the frontend uses (default `blue`).
    pub color: Option<String>,
    /// Contacts of the caller to list right away.
    pub contact_ids: Option<Vec<String>>,
}

/// `PATCH /api/contact-lists/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactListPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub color: Option<String>,
    /// Replaces the list's settings object.
    #[schema(value_type = Option<Object>)]
    pub settings: Option<Map<String, Value>>,
}

/// `{contactIds: [...]}` of the add and remove routes.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactIds {
    pub contact_ids: Vec<String>,
}

/// What `GET /api/contact-lists` filters on.
#[derive(Clone, Debug)]
pub struct ListFilter {
    pub search: Option<String>,
    pub include_system: bool,
}

impl Holder for ContactList {
    const WHAT: &'static str = WHAT;
    const FIELD: &'static str = "contactIds";
    const MEMBER_COLLECTION: &'static str = Contact::COLLECTION;
    const MEMBER_WHAT: &'static str = "contact";

    fn member_ids(&self) -> HashSet<ObjectId> {
        self.contact_ids().into_iter().collect()
    }
}

fn not_found() -> Error {
    Error::NotFound { what: WHAT }
}

/// The caller's list `id`, or 404.
pub async fn find(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<ContactList> {
    owned::find(db, user_id, id, WHAT).await
}

/// One page of the caller's lists, most recently used first, then by name.
pub async fn list(
    db: &Db,
    user_id: ObjectId,
    filter: ListFilter,
    page: PageRequest,
) -> Result<Paged<ContactListView>> {
    let name = match filter.search.as_deref() {
        Some(search) => input::search_filter(search)?,
        None => None,
    };
    let found = repo::page(
        db,
        user_id,
        name,
        filter.include_system,
        page.skip(),
        page.limit,
    )
    .await?;
    Ok(page.paged(found, |list: ContactList| ContactListView::from(&list)))
}

/// Creates a list of the caller's, optionally with contacts.
pub async fn create(db: &Db, user_id: ObjectId, new: NewContactList) -> Result<ContactListView> {
    let (name, description) = input::name_and_description(&new.name, new.description.as_deref())?;
    let color = match new.color.as_deref() {
        Some(color) => input::name("color", color, MAX_COLOR)?,
        None => DEFAULT_COLOR.to_string(),
    };
    let ids = IdList::parse("contactIds", new.contact_ids.as_deref().unwrap_or_default())?;
    membership::ensure_owned::<ContactList>(db, &ids, user_id, &HashSet::new()).await?;
    let now = DateTime::now();
    let contacts: Vec<Document> = ids.ids().into_iter().map(|id| entry(id, now)).collect();
    let list = ContactList {
        id: ObjectId::new(),
        user_id,
        name,
        description: Some(description),
        color: Some(color),
        contacts_count: Some(count(contacts.len())),
        contacts,
        is_system: Some(false),
        settings: Some(doc! { "allowDuplicates": false }),
        metadata: Some(doc! { "totalCalls": 0 }),
        created_at: None,
        updated_at: None,
        version: None,
    };
    let stored = store::insert(db, &list).await?;
    Ok(ContactListView::from(&stored))
}

/// Changes the fields `patch` gives with one targeted `$set`; every other
/// field, known or not, is left as stored.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: ContactListPatch,
) -> Result<ContactListView> {
    let changes = ListChanges {
        name_and_description: input::name_and_description_fields(
            patch.name.as_deref(),
            patch.description.as_deref(),
        )?,
        color: patch
            .color
            .as_deref()
            .map(|color| input::name("color", color, MAX_COLOR))
            .transpose()?,
        settings: patch
            .settings
            .as_ref()
            .map(|settings| input::free_object("settings", settings))
            .transpose()?,
    };
    repo::update(db, user_id, id, &changes).await?;
    find(db, user_id, id)
        .await
        .map(|l| ContactListView::from(&l))
}

/// Deletes the caller's list. System lists belong to their automation: 409.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let list = find(db, user_id, id).await?;
    if list.is_system == Some(true) {
        return Err(Error::Conflict {
            field: None,
            message: "system list is managed by its automation".to_string(),
        });
    }
    if !repo::delete_unless_system(db, user_id, id).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Adds the caller's contacts `contact_ids` to the list, skipping those
/// already listed. Nothing is written unless every id is the caller's
/// contact. `contactsCount` is set in the same update as the entries.
pub async fn add_contacts(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    contact_ids: &[String],
) -> Result<ContactListView> {
    let (mut list, ids) = membership::to_add::<ContactList>(db, user_id, id, contact_ids).await?;
    let now = DateTime::now();
    for _ in 0..ATTEMPTS {
        let missing = ids.not_in(&list.member_ids());
        if missing.is_empty() {
            return sync_count(db, user_id, id).await;
        }
        let size = list.contacts.len();
        if repo::push_entries(db, user_id, id, size, &missing, now).await? {
            return find(db, user_id, id)
                .await
                .map(|l| ContactListView::from(&l));
        }
        list = find(db, user_id, id).await?;
    }
    Err(busy())
}

fn busy() -> Error {
    Error::Conflict {
        field: None,
        message: "the list changed while it was being updated; try again".to_string(),
    }
}

/// Removes `contact_ids` from the list. Each must be the caller's contact
/// or already listed (a contact deleted since can still be taken off).
pub async fn remove_contacts(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    contact_ids: &[String],
) -> Result<ContactListView> {
    let (_, to_pull) = membership::to_remove::<ContactList>(db, user_id, id, contact_ids).await?;
    if !to_pull.is_empty() {
        repo::pull_entries(db, user_id, id, &to_pull).await?;
    }
    sync_count(db, user_id, id).await
}

/// Sets `contactsCount` to the number of entries, guarded so a stale
/// length is never written over a newer one.
async fn sync_count(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<ContactListView> {
    for _ in 0..ATTEMPTS {
        let mut list = find(db, user_id, id).await?;
        let size = list.contacts.len();
        let stored = list.contacts_count.map(Number::as_f64);
        if stored == Some(size as f64) {
            return Ok(ContactListView::from(&list));
        }
        if repo::set_count(db, user_id, id, size).await? {
            list.contacts_count = Some(count(size));
            return Ok(ContactListView::from(&list));
        }
    }
    Err(busy())
}

/// Records that an automation or a call used the list now: sets
/// `metadata.lastUsed` alone, so other metadata keys survive.
pub async fn mark_used(db: &Db, user_id: ObjectId, list_id: ObjectId) -> Result<()> {
    repo::mark_used(db, user_id, list_id).await
}
