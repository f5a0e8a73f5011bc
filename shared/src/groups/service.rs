//! Groups of calls: plain async functions over the database, each scoped
//! by the owner's `userId`, so another tenant's group is simply not found.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::GroupView;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::http::id_list::IdList;
use crate::http::input;
use crate::http::page::{PageRequest, Paged};
use crate::model::{Group, IdRef, Record};
use crate::store;

const WHAT: &str = "group";
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1000;
/// The Node app's colour for a new group.
pub const DEFAULT_COLOR: &str = "#3b82f6";

/// `POST /api/groups`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
    /// `#rrggbb` (default `#3b82f6`).
    pub color: Option<String>,
}

/// `PATCH /api/groups/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
    pub is_active: Option<bool>,
}

/// `{callIds: [...]}` of the add and remove routes.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallIds {
    pub call_ids: Vec<String>,
}

fn collection(db: &Db) -> mongodb::Collection<Document> {
    db.raw(Group::COLLECTION)
}

fn scoped(user_id: ObjectId, id: ObjectId) -> Document {
    doc! { "_id": id, "userId": user_id }
}

fn not_found() -> Error {
    Error::NotFound { what: WHAT }
}

/// `#rrggbb`, lower-cased; 422 naming `color` otherwise.
pub fn color(text: &str) -> Result<String> {
    let text = text.trim();
    let valid = text.len() == 7
        && text.starts_with('#')
        && text.chars().skip(1).all(|c| c.is_ascii_hexdigit());
    if !valid {
        return Err(Error::validation("color", "color must be #rrggbb"));
    }
    Ok(text.to_ascii_lowercase())
}

/// The caller's group `id`, or 404.
pub async fn find(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Group> {
    store::find_one::<Group>(db, scoped(user_id, id))
        .await?
        .ok_or_else(not_found)
}

/// One page of the caller's groups, newest first.
pub async fn list(db: &Db, user_id: ObjectId, page: PageRequest) -> Result<Paged<GroupView>> {
    let query = doc! { "userId": user_id };
    let total = collection(db).count_documents(query.clone()).await?;
    let documents: Vec<Document> = collection(db)
        .find(query)
        .sort(doc! { "createdAt": -1, "_id": -1 })
        .skip(page.skip())
        .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
        .await?
        .try_collect()
        .await?;
    let items = documents
        .into_iter()
        .map(|document| store::decode::<Group>(document).map(|g| GroupView::from(&g)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged::new(items, total, page))
}

/// Creates a group of the caller's, without calls.
pub async fn create(db: &Db, user_id: ObjectId, new: NewGroup) -> Result<GroupView> {
    let name = input::name("name", &new.name, MAX_NAME)?;
    let description = input::short_text(
        "description",
        new.description.as_deref().unwrap_or_default(),
        MAX_DESCRIPTION,
    )?;
    let color = color(new.color.as_deref().unwrap_or(DEFAULT_COLOR))?;
    let group = Group {
        id: ObjectId::new(),
        user_id,
        name,
        description: Some(description),
        calls: vec![],
        color: Some(color),
        is_active: Some(true),
        metadata: Some(doc! { "totalCalls": 0 }),
        created_at: None,
        updated_at: None,
        version: None,
    };
    let stored = store::insert(db, &group).await?;
    Ok(GroupView::from(&stored))
}

fn map_not_found(error: Error) -> Error {
    match error {
        Error::NotFound { .. } => not_found(),
        other => other,
    }
}

/// Changes the fields `patch` gives with one targeted `$set`.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: GroupPatch,
) -> Result<GroupView> {
    let mut fields = Document::new();
    if let Some(name) = patch.name.as_deref() {
        fields.insert("name", input::name("name", name, MAX_NAME)?);
    }
    if let Some(description) = patch.description.as_deref() {
        fields.insert(
            "description",
            input::short_text("description", description, MAX_DESCRIPTION)?,
        );
    }
    if let Some(text) = patch.color.as_deref() {
        fields.insert("color", color(text)?);
    }
    if let Some(active) = patch.is_active {
        fields.insert("isActive", active);
    }
    if !fields.is_empty() {
        store::set_fields::<Group>(db, scoped(user_id, id), fields)
            .await
            .map_err(map_not_found)?;
    }
    find(db, user_id, id).await.map(|g| GroupView::from(&g))
}

/// Deletes the caller's group (its calls stay).
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let result = collection(db).delete_one(scoped(user_id, id)).await?;
    if result.deleted_count == 0 {
        return Err(not_found());
    }
    Ok(())
}

/// Both stored forms of each id: the Node app may have kept text.
fn stored_forms(ids: &[ObjectId]) -> Vec<Bson> {
    ids.iter()
        .flat_map(|id| [Bson::ObjectId(*id), Bson::String(id.to_hex())])
        .collect()
}

/// Adds the caller's calls to the group, skipping those already in it.
/// Nothing is written unless every id is the caller's call.
pub async fn add_calls(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    call_ids: &[String],
) -> Result<GroupView> {
    let ids = IdList::parse_non_empty("callIds", call_ids)?;
    let group = find(db, user_id, id).await?;
    ids.ensure_owned(db, "calls", "call", user_id, &HashSet::new())
        .await?;
    let present: HashSet<ObjectId> = group.calls.iter().filter_map(IdRef::object_id).collect();
    let missing: Vec<ObjectId> = ids
        .ids()
        .into_iter()
        .filter(|id| !present.contains(id))
        .collect();
    if !missing.is_empty() {
        // Ids already present in either stored form were skipped above;
        // `$addToSet` keeps a concurrent add of the same call single.
        let result = collection(db)
            .update_one(
                scoped(user_id, id),
                doc! {
                    "$addToSet": { "calls": { "$each": &missing } },
                    "$set": { "updatedAt": DateTime::now() },
                },
            )
            .await?;
        if result.matched_count == 0 {
            return Err(not_found());
        }
    }
    find(db, user_id, id).await.map(|g| GroupView::from(&g))
}

/// Removes calls from the group. Each must be the caller's call or already
/// in the group (a call deleted since can still be taken out).
pub async fn remove_calls(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    call_ids: &[String],
) -> Result<GroupView> {
    let ids = IdList::parse_non_empty("callIds", call_ids)?;
    let group = find(db, user_id, id).await?;
    let grouped: HashSet<ObjectId> = group.calls.iter().filter_map(IdRef::object_id).collect();
    ids.ensure_owned(db, "calls", "call", user_id, &grouped)
        .await?;
    let to_pull: Vec<ObjectId> = ids
        .ids()
        .into_iter()
        .filter(|id| grouped.contains(id))
        .collect();
    if !to_pull.is_empty() {
        collection(db)
            .update_one(
                scoped(user_id, id),
                doc! {
                    "$pull": { "calls": { "$in": stored_forms(&to_pull) } },
                    "$set": { "updatedAt": DateTime::now() },
                },
            )
            .await?;
    }
    find(db, user_id, id).await.map(|g| GroupView::from(&g))
}
