//! HTTP handlers of `/api/groups`, with their OpenAPI annotations:
//! extract, call the service, answer. Adding and removing calls are the
//! shared member routes of [`membership`](crate::features::membership).

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use mongodb::bson::oid::ObjectId;

use super::service::{self, CallIds, GroupPatch, NewGroup};
use super::view::GroupView;
use crate::error::{ErrorBody, Result};
use crate::features::membership::{member_routes, Members};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::http::responses::{MalformedId, MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};
use crate::infra::db::Db;
use crate::model::Group;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group, delete_group))
        .routes(routes!(add_calls, remove_calls))
}

/// The caller's groups, newest first.
#[utoipa::path(
    get,
    path = "/api/groups",
    tag = "groups",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "One page of groups", body = Paged<GroupView>),
        Unauthorized,
        (status = 422, description = "Bad page or limit", body = ErrorBody),
    )
)]
async fn list_groups(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Paged<GroupView>>> {
    let page = query.validate()?;
    service::list(&state.db, auth.user_id, page).await.map(Json)
}

/// Creates a group of calls.
#[utoipa::path(
    post,
    path = "/api/groups",
    tag = "groups",
    security(("bearer" = [])),
    request_body = NewGroup,
    responses(
        (status = 201, description = "Created", body = GroupView),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Invalid field (`name`, `color`)", body = ErrorBody),
    )
)]
async fn create_group(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewGroup>,
) -> Result<(StatusCode, Json<GroupView>)> {
    let view = service::create(&state.db, auth.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One of the caller's groups.
#[utoipa::path(
    get,
    path = "/api/groups/{id}",
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The group's 24-hex id")),
    responses(
        (status = 200, description = "The group", body = GroupView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
    )
)]
async fn get_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<GroupView>> {
    let id = object_id("id", &id)?;
    let group = service::find(&state.db, auth.user_id, id).await?;
    Ok(Json(GroupView::from(&group)))
}

/// Changes a group's name, description, colour or active flag.
#[utoipa::path(
    patch,
    path = "/api/groups/{id}",
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The group's 24-hex id")),
    request_body = GroupPatch,
    responses(
        (status = 200, description = "The group as changed", body = GroupView),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
async fn update_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GroupPatch>,
) -> Result<Json<GroupView>> {
    let id = object_id("id", &id)?;
    service::update(&state.db, auth.user_id, id, body)
        .await
        .map(Json)
}

/// Deletes a group; its calls stay.
#[utoipa::path(
    delete,
    path = "/api/groups/{id}",
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The group's 24-hex id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
    )
)]
async fn delete_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    service::delete(&state.db, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

member_routes! {
    holder: Group,
    path: "/api/groups/{id}/calls",
    tag: "groups",
    id: "The group's 24-hex id",
    body: CallIds,
    /// Adds calls of the caller's to a group; ones already in it are skipped.
    add: add_calls,
    /// Removes calls from a group.
    remove: remove_calls,
    responses: (
        (status = 200, description = "The group as changed", body = GroupView),
        (status = 400, description = "Malformed JSON or id (`callIds[i]`)", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
        (status = 422, description = "`callIds[i]`: no such call; nothing was written", body = ErrorBody),
    ),
}

impl Members for Group {
    type Ids = CallIds;
    type View = GroupView;

    fn ids(body: &CallIds) -> &[String] {
        &body.call_ids
    }

    async fn add(db: &Db, user_id: ObjectId, id: ObjectId, ids: &[String]) -> Result<GroupView> {
        service::add_calls(db, user_id, id, ids).await
    }

    async fn remove(db: &Db, user_id: ObjectId, id: ObjectId, ids: &[String]) -> Result<GroupView> {
        service::remove_calls(db, user_id, id, ids).await
    }
}
