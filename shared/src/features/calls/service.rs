//! The `/api/calls` reads and the follow-up write. Every query is scoped
//! by `userId`, so another user's call is simply not found.

use mongodb::bson::{self, doc, oid::ObjectId};

use super::follow_up::{dotted, whole, FollowUpPatch};
use super::query::CallQuery;
use super::stored::StoredCall;
use super::view::CallSummary;
use crate::error::{Error, Result};
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::store;
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
    let found = store::find_page(
        db,
        filter,
        doc! { "createdAt": -1, "_id": -1 },
        page.skip(),
        page.limit,
    )
    .await?;
    Ok(page.paged(found, |call: StoredCall| CallSummary::from(call)))
}

/// The user's call `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<StoredCall> {
    owned::find(db, user_id, id, WHAT).await
}

/// Applies `patch` to the user's call `id` and answers the call as it
/// now is. Only `analysis.*` fields and `updatedAt` are `$set`.
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
        let (filter, set) = if current.call.analysis.is_some() {
            (owned::scoped(user_id, id), dotted(fields))
        } else {
            // No analysis yet (absent or `null`): a dotted `$set` into
            // `null` fails, so the analysis is written whole, only if it
            // is still missing.
            let mut filter = owned::scoped(user_id, id);
            filter.insert("analysis", bson::Bson::Null);
            (filter, whole(fields))
        };
        match store::set_fields::<StoredCall>(db, filter, set).await {
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
