//! HTTP handlers of `/api/groups`: extract, call the service, answer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::service::{self, CallIds, GroupPatch, NewGroup};
use super::view::GroupView;
use crate::error::{ErrorBody, Result};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::http::responses::{MalformedId, MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiQuery, AppState, AuthUser};

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
pub(super) async fn list_groups(
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
pub(super) async fn create_group(
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
pub(super) async fn get_group(
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
pub(super) async fn update_group(
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
pub(super) async fn delete_group(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    service::delete(&state.db, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds calls of the caller's to a group; ones already in it are skipped.
#[utoipa::path(
    post,
    path = "/api/groups/{id}/calls",
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The group's 24-hex id")),
    request_body = CallIds,
    responses(
        (status = 200, description = "The group as changed", body = GroupView),
        (status = 400, description = "Malformed JSON or id (`callIds[i]`)", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
        (status = 422, description = "`callIds[i]`: no such call; nothing was written", body = ErrorBody),
    )
)]
pub(super) async fn add_calls(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CallIds>,
) -> Result<Json<GroupView>> {
    let id = object_id("id", &id)?;
    service::add_calls(&state.db, auth.user_id, id, &body.call_ids)
        .await
        .map(Json)
}

/// Removes calls from a group.
#[utoipa::path(
    delete,
    path = "/api/groups/{id}/calls",
    tag = "groups",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The group's 24-hex id")),
    request_body = CallIds,
    responses(
        (status = 200, description = "The group as changed", body = GroupView),
        (status = 400, description = "Malformed JSON or id (`callIds[i]`)", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such group of the caller's", body = ErrorBody),
        (status = 422, description = "`callIds[i]`: no such call; nothing was written", body = ErrorBody),
    )
)]
pub(super) async fn remove_calls(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CallIds>,
) -> Result<Json<GroupView>> {
    let id = object_id("id", &id)?;
    service::remove_calls(&state.db, auth.user_id, id, &body.call_ids)
        .await
        .map(Json)
}
