//! Every MongoDB read and write of groups (`groups`): the one place that
//! builds their filters and updates. Each is scoped by the owner's
//! `userId`, so another tenant's group is simply not found.

use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, owned, Update};
use crate::model::{Group, Record};

/// What a missing group is called in a 404.
pub const WHAT: &str = "group";

/// The checked fields a patch changes; `None` leaves a field as stored.
#[derive(Clone, Debug, Default)]
pub struct GroupChanges {
    /// `name` and `description`, those given, from
    /// [`input::name_and_description_fields`](crate::http::input::name_and_description_fields).
    pub name_and_description: Document,
    pub color: Option<String>,
    pub is_active: Option<bool>,
}

impl GroupChanges {
    fn fields(&self) -> Document {
        let mut fields = self.name_and_description.clone();
        if let Some(color) = &self.color {
            fields.insert("color", color.as_str());
        }
        if let Some(active) = self.is_active {
            fields.insert("isActive", active);
        }
        fields
    }
}

/// One page of the user's groups, newest first.
pub async fn page(db: &Db, user_id: ObjectId, skip: u64, limit: u64) -> Result<(Vec<Group>, u64)> {
    let filter = doc! { "userId": user_id };
    let sort = doc! { "createdAt": -1, "_id": -1 };
    store::find_page(db, filter, sort, skip, limit).await
}

/// Applies `changes` with one targeted `$set`. Nothing is written when
/// there are no changes; otherwise 404 when the user has no group `id`.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    changes: &GroupChanges,
) -> Result<()> {
    let fields = changes.fields();
    if fields.is_empty() {
        return Ok(());
    }
    owned::set_fields::<Group>(db, user_id, id, fields, WHAT).await
}

/// Deletes the user's group `id`; whether there was one.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let result = db
        .raw(Group::COLLECTION)
        .delete_one(owned::scoped(user_id, id))
        .await?;
    Ok(result.deleted_count > 0)
}

/// Adds `call_ids` to the user's group `id`; `$addToSet` keeps a
/// concurrent add of the same call single. Whether the group was there.
pub async fn add_calls(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    call_ids: &[ObjectId],
) -> Result<bool> {
    let update = Update::new()
        .add_to_set("calls", doc! { "$each": call_ids })
        .build();
    let result = db
        .raw(Group::COLLECTION)
        .update_one(owned::scoped(user_id, id), update)
        .await?;
    Ok(result.matched_count > 0)
}

/// Takes `call_ids`, in either stored form, out of the user's group `id`.
pub async fn pull_calls(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    call_ids: &[ObjectId],
) -> Result<()> {
    let update = Update::new()
        .pull("calls", doc! { "$in": stored_forms(call_ids) })
        .build();
    db.raw(Group::COLLECTION)
        .update_one(owned::scoped(user_id, id), update)
        .await?;
    Ok(())
}

/// Both stored forms of each id: the Node app may have kept text.
fn stored_forms(ids: &[ObjectId]) -> Vec<Bson> {
    ids.iter()
        .flat_map(|id| [Bson::ObjectId(*id), Bson::String(id.to_hex())])
        .collect()
}
