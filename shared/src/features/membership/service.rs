//! The checks of adding and removing members: before anything is
//! written, every id named parses, the holder is the caller's, and every
//! member named is theirs.

use std::collections::HashSet;

use mongodb::bson::oid::ObjectId;

use crate::error::Result;
use crate::http::id_list::IdList;
use crate::infra::db::Db;
use crate::infra::store::owned;
use crate::model::Record;

/// A document that holds member ids.
pub trait Holder: Record {
    /// What a missing holder is called in a 404 (`contact list`).
    const WHAT: &'static str;
    /// The request field listing member ids (`contactIds`).
    const FIELD: &'static str;
    /// The members' collection (`contacts`).
    const MEMBER_COLLECTION: &'static str;
    /// What a missing member is called in a 422 (`contact`).
    const MEMBER_WHAT: &'static str;

    /// The ids of the members it holds.
    fn member_ids(&self) -> HashSet<ObjectId>;
}

/// For an add request: the caller's holder `id` and the ids to add, once
/// the ids parse (400 naming `FIELD[i]`; 422 when none or too many), the
/// holder exists (404) and every id is the caller's member (422 naming
/// `FIELD[i]`).
pub async fn to_add<H: Holder>(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    texts: &[String],
) -> Result<(H, IdList)> {
    let ids = IdList::parse_non_empty(H::FIELD, texts)?;
    let holder = owned::find::<H>(db, user_id, id, H::WHAT).await?;
    ensure_owned::<H>(db, &ids, user_id, &HashSet::new()).await?;
    Ok((holder, ids))
}

/// For a remove request: the caller's holder `id` and the ids it holds
/// among those named, in request order. Checked like [`to_add`], except
/// that an id the holder holds passes even when its member is gone.
pub async fn to_remove<H: Holder>(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    texts: &[String],
) -> Result<(H, Vec<ObjectId>)> {
    let ids = IdList::parse_non_empty(H::FIELD, texts)?;
    let holder = owned::find::<H>(db, user_id, id, H::WHAT).await?;
    let held = holder.member_ids();
    ensure_owned::<H>(db, &ids, user_id, &held).await?;
    let to_pull = ids.within(&held);
    Ok((holder, to_pull))
}

/// Checks that every id of `ids` is a member document of `user_id` (or is
/// in `also_allowed`): 422 naming the first that is not, as `FIELD[i]`.
pub async fn ensure_owned<H: Holder>(
    db: &Db,
    ids: &IdList,
    user_id: ObjectId,
    also_allowed: &HashSet<ObjectId>,
) -> Result<()> {
    let wanted = ids.to_check(also_allowed);
    let found = owned::owned_among(db, H::MEMBER_COLLECTION, user_id, &wanted).await?;
    ids.ensure_among(&found, also_allowed, H::MEMBER_WHAT)
}
