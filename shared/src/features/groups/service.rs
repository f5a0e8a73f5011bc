//! Groups of calls: plain async functions over the repo, each scoped by
//! the owner's `userId`, so another tenant's group is simply not found.

use std::collections::HashSet;

use mongodb::bson::{doc, oid::ObjectId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::repo::{self, GroupChanges, WHAT};
use super::view::GroupView;
use crate::error::{Error, Result};
use crate::features::membership::{self, Holder};
use crate::http::input;
use crate::http::page::{PageRequest, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::infra::store::owned;
use crate::model::{Call, Group, IdRef, Record};

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

impl Holder for Group {
    const WHAT: &'static str = WHAT;
    const FIELD: &'static str = "callIds";
    const MEMBER_COLLECTION: &'static str = Call::COLLECTION;
    const MEMBER_WHAT: &'static str = "call";

    fn member_ids(&self) -> HashSet<ObjectId> {
        self.calls.iter().filter_map(IdRef::object_id).collect()
    }
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
    owned::find(db, user_id, id, WHAT).await
}

/// One page of the caller's groups, newest first.
pub async fn list(db: &Db, user_id: ObjectId, page: PageRequest) -> Result<Paged<GroupView>> {
    let found = repo::page(db, user_id, page.skip(), page.limit).await?;
    Ok(page.paged(found, |group: Group| GroupView::from(&group)))
}

/// Creates a group of the caller's, without calls.
pub async fn create(db: &Db, user_id: ObjectId, new: NewGroup) -> Result<GroupView> {
    let (name, description) = input::name_and_description(&new.name, new.description.as_deref())?;
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

/// Changes the fields `patch` gives with one targeted `$set`.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: GroupPatch,
) -> Result<GroupView> {
    let changes = GroupChanges {
        name_and_description: input::name_and_description_fields(
            patch.name.as_deref(),
            patch.description.as_deref(),
        )?,
        color: patch.color.as_deref().map(color).transpose()?,
        is_active: patch.is_active,
    };
    repo::update(db, user_id, id, &changes).await?;
    find(db, user_id, id).await.map(|g| GroupView::from(&g))
}

/// Deletes the caller's group (its calls stay).
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    if !repo::delete(db, user_id, id).await? {
        return Err(not_found());
    }
    Ok(())
}

/// Adds the caller's calls to the group, skipping those already in it.
/// Nothing is written unless every id is the caller's call.
pub async fn add_calls(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    call_ids: &[String],
) -> Result<GroupView> {
    let (group, ids) = membership::to_add::<Group>(db, user_id, id, call_ids).await?;
    let missing = ids.not_in(&group.member_ids());
    // Ids already present in either stored form are skipped here.
    if !missing.is_empty() && !repo::add_calls(db, user_id, id, &missing).await? {
        return Err(not_found());
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
    let (_, to_pull) = membership::to_remove::<Group>(db, user_id, id, call_ids).await?;
    if !to_pull.is_empty() {
        repo::pull_calls(db, user_id, id, &to_pull).await?;
    }
    find(db, user_id, id).await.map(|g| GroupView::from(&g))
}
