//! The `/api/calls` reads and the follow-up write. Every query is scoped
//! by `userId`, so another user's call is simply not found.

use mongodb::bson::{self, oid::ObjectId};

use super::follow_up::FollowUpPatch;
use super::query::CallQuery;
use super::repo;
use super::stored::StoredCall;
use super::view::CallSummary;
use crate::error::{Error, Result};
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::store::owned;

const WHAT: &str = "call";

/// The user's calls matching `query`, newest first.
pub async fn list(db: &Db, user_id: ObjectId, query: &CallQuery) -> Result<Paged<CallSummary>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let filter = query.filter(db, user_id).await?;
    let found = repo::page(db, user_id, &filter, page.skip(), page.limit).await?;
    Ok(page.paged(found, |call: StoredCall| CallSummary::from(call)))
}

/// The user's call `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<StoredCall> {
    owned::find(db, user_id, id, WHAT).await
}

/// Applies `patch` to the user's call `id` and answers the call as it
/// now is. Only `analysis.*` fields and `updatedAt` are written.
pub async fn mark_follow_up(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    patch: &FollowUpPatch,
) -> Result<StoredCall> {
    // Twice at most: a webhook may store the first analysis between the
    // read and the write, and then the dotted form is the right one.
    for _ in 0..2 {
        let current = get(db, user_id, id).await?;
        let now = bson::DateTime::now();
        let already_done = current
            .call
            .analysis
            .as_ref()
            .is_some_and(|analysis| analysis.get_bool("followUpDone").unwrap_or(false));
        let fields = patch.analysis_fields(already_done, now);
        let has_analysis = current.call.analysis.is_some();
        match repo::set_follow_up(db, user_id, id, fields, has_analysis).await {
            Ok(()) => return get(db, user_id, id).await,
            Err(Error::NotFound { .. }) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(Error::Conflict {
        field: None,
        message: "the call changed meanwhile; try again".into(),
    })
}
