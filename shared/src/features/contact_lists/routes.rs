//! HTTP handlers of `/api/contact-lists`, with their OpenAPI annotations:
//! extract, call the service, answer. Adding and removing contacts are
//! the shared member routes of
//! [`membership`](crate::features::membership).

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::service::{self, ContactIds, ContactListPatch, ListFilter, NewContactList};
use super::view::ContactListView;
use crate::error::{ErrorBody, Result};
use crate::features::membership::{member_routes, Members};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::http::responses::{MalformedId, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};
use crate::infra::db::Db;
use crate::model::ContactList;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_lists, create_list))
        .routes(routes!(get_list, update_list, delete_list))
        .routes(routes!(add_contacts, remove_contacts))
}

/// `GET /api/contact-lists` query.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// Case-insensitive text the name contains.
    pub search: Option<String>,
    /// Include lists automations manage (default true).
    pub include_system: Option<bool>,
}

/// The caller's contact lists, most recently used first, then by name.
#[utoipa::path(
    get,
    path = "/api/contact-lists",
    tag = "contact-lists",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "One page of lists", body = Paged<ContactListView>),
        Unauthorized,
        (status = 422, description = "Bad page, limit or search", body = ErrorBody),
    )
)]
async fn list_lists(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<ContactListView>>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let filter = ListFilter {
        search: query.search,
        include_system: query.include_system.unwrap_or(true),
    };
    service::list(&state.db, auth.user_id, filter, page)
        .await
        .map(Json)
}

/// Creates a contact list, optionally with some of the caller's contacts.
#[utoipa::path(
    post,
    path = "/api/contact-lists",
    tag = "contact-lists",
    security(("bearer" = [])),
    request_body = NewContactList,
    responses(
        (status = 201, description = "Created", body = ContactListView),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "Invalid field, or a contact that is not the caller's", body = ErrorBody),
    )
)]
async fn create_list(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewContactList>,
) -> Result<(StatusCode, Json<ContactListView>)> {
    let view = service::create(&state.db, auth.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One of the caller's contact lists.
#[utoipa::path(
    get,
    path = "/api/contact-lists/{id}",
    tag = "contact-lists",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The list's 24-hex id")),
    responses(
        (status = 200, description = "The list", body = ContactListView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such list of the caller's", body = ErrorBody),
    )
)]
async fn get_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ContactListView>> {
    let id = object_id("id", &id)?;
    let list = service::find(&state.db, auth.user_id, id).await?;
    Ok(Json(ContactListView::from(&list)))
}

/// Changes a list's name, description, colour or settings.
#[utoipa::path(
    patch,
    path = "/api/contact-lists/{id}",
    tag = "contact-lists",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The list's 24-hex id")),
    request_body = ContactListPatch,
    responses(
        (status = 200, description = "The list as changed", body = ContactListView),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such list of the caller's", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    )
)]
async fn update_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactListPatch>,
) -> Result<Json<ContactListView>> {
    let id = object_id("id", &id)?;
    service::update(&state.db, auth.user_id, id, body)
        .await
        .map(Json)
}

/// Deletes a list. Lists an automation manages (`isSystem`) are refused.
#[utoipa::path(
    delete,
    path = "/api/contact-lists/{id}",
    tag = "contact-lists",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The list's 24-hex id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such list of the caller's", body = ErrorBody),
        (status = 409, description = "A system list, managed by its automation", body = ErrorBody),
    )
)]
async fn delete_list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    service::delete(&state.db, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

member_routes! {
    holder: ContactList,
    path: "/api/contact-lists/{id}/contacts",
    tag: "contact-lists",
    id: "The list's 24-hex id",
    body: ContactIds,
    /// Adds contacts of the caller's to a list; ones already listed are skipped.
    add: add_contacts,
    /// Removes contacts from a list.
    remove: remove_contacts,
    responses: (
        (status = 200, description = "The list as changed", body = ContactListView),
        (status = 400, description = "Malformed JSON or id (`contactIds[i]`)", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such list of the caller's", body = ErrorBody),
        (status = 409, description = "The list kept changing; try again", body = ErrorBody),
        (status = 422, description = "`contactIds[i]`: no such contact; nothing was written", body = ErrorBody),
    ),
}

impl Members for ContactList {
    type Ids = ContactIds;
    type View = ContactListView;

    fn ids(body: &ContactIds) -> &[String] {
        &body.contact_ids
    }

    async fn add(
        db: &Db,
        user_id: ObjectId,
        id: ObjectId,
        ids: &[String],
    ) -> Result<ContactListView> {
        service::add_contacts(db, user_id, id, ids).await
    }

    async fn remove(
        db: &Db,
        user_id: ObjectId,
        id: ObjectId,
        ids: &[String],
    ) -> Result<ContactListView> {
        service::remove_contacts(db, user_id, id, ids).await
    }
}
