//! The two member routes of a holder, written once: `POST` adds members
//! and `DELETE` removes them, on `/api/{holders}/{id}/{members}`.
//!
//! One handler, [`change`], generic over [`Members`], serves both. utoipa
//! documents an operation through a named function, so [`member_routes!`]
//! writes, for one holder, the two named handlers with their annotations
//! (which differ only in the method and the summary), each calling
//! [`change`].

use std::future::Future;

use axum::extract::{Path, State};
use axum::Json;
use mongodb::bson::oid::ObjectId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::service::Holder;
use crate::error::Result;
use crate::http::extract::object_id;
use crate::http::{ApiJson, AppState, AuthUser};
use crate::infra::db::Db;

/// A holder whose members the API adds and removes.
pub trait Members: Holder {
    /// The request body naming the members (`{contactIds: [...]}`).
    type Ids: DeserializeOwned + Send + 'static;
    /// What the API shows of the holder once changed.
    type View: Serialize + Send + 'static;

    /// The member ids a request body names.
    fn ids(body: &Self::Ids) -> &[String];

    /// Adds the caller's members `ids` to their holder `id`.
    fn add(
        db: &Db,
        user_id: ObjectId,
        id: ObjectId,
        ids: &[String],
    ) -> impl Future<Output = Result<Self::View>> + Send;

    /// Removes members `ids` from the caller's holder `id`.
    fn remove(
        db: &Db,
        user_id: ObjectId,
        id: ObjectId,
        ids: &[String],
    ) -> impl Future<Output = Result<Self::View>> + Send;
}

/// What a member route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// `POST`: adds members.
    Add,
    /// `DELETE`: removes members.
    Remove,
}

/// The handler of both member routes: adds or removes the members the
/// body names on the caller's holder `{id}`, and answers it as changed.
pub async fn change<H: Members>(
    change: Change,
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<H::Ids>,
) -> Result<Json<H::View>> {
    let id = object_id("id", &id)?;
    let ids = H::ids(&body);
    let view = match change {
        Change::Add => H::add(&state.db, auth.user_id, id, ids).await?,
        Change::Remove => H::remove(&state.db, auth.user_id, id, ids).await?,
    };
    Ok(Json(view))
}

/// Writes a holder's two member handlers, `$add` (`POST`) and `$remove`
/// (`DELETE`) on `path`, with their OpenAPI annotations: the summary is
/// each one's doc comment; `id` describes the path's `{id}`; the request
/// body (`body`) and the `responses` are the same for both. Register them
/// with `routes!($add, $remove)`.
macro_rules! member_routes {
    (
        holder: $holder:ty,
        path: $path:literal,
        tag: $tag:literal,
        id: $id:literal,
        body: $body:ident,
        $(#[$add_doc:meta])*
        add: $add:ident,
        $(#[$remove_doc:meta])*
        remove: $remove:ident,
        responses: $responses:tt $(,)?
    ) => {
        $crate::features::membership::member_routes!(
            @handler post, Add, $(#[$add_doc])* $add,
            $holder, $path, $tag, $id, $body, $responses
        );
        $crate::features::membership::member_routes!(
            @handler delete, Remove, $(#[$remove_doc])* $remove,
            $holder, $path, $tag, $id, $body, $responses
        );
    };
    (
        @handler $method:ident, $change:ident, $(#[$doc:meta])* $name:ident,
        $holder:ty, $path:literal, $tag:literal, $id:literal, $body:ident,
        ($($responses:tt)*)
    ) => {
        $(#[$doc])*
        #[utoipa::path(
            $method,
            path = $path,
            tag = $tag,
            security(("bearer" = [])),
            params(("id" = String, Path, description = $id)),
            request_body = $body,
            responses($($responses)*)
        )]
        async fn $name(
            state: ::axum::extract::State<$crate::http::AppState>,
            auth: $crate::http::AuthUser,
            id: ::axum::extract::Path<String>,
            body: $crate::http::ApiJson<$body>,
        ) -> $crate::error::Result<
            ::axum::Json<<$holder as $crate::features::membership::Members>::View>,
        > {
            use $crate::features::membership::{change, Change};
            change::<$holder>(Change::$change, state, auth, id, body).await
        }
    };
}

pub(crate) use member_routes;
