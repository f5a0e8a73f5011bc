//! HTTP handlers of `/api/contacts`, with their OpenAPI annotations:
//! extract, call the service (or the import), answer.

use crate::http::routes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use bytes::Bytes;

use super::import::{self, ImportReport};
use super::import_body;
use super::input::{ContactPatch, NewContact};
use super::search::ContactQuery;
use super::service;
use super::view::ContactView;
use crate::error::{Error, ErrorBody, Result};
use crate::http::extract::object_id;
use crate::http::page::Paged;
use crate::http::responses::{MalformedId, MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};

/// Largest import body: [`MAX_ROWS`](import_body::MAX_ROWS) rows with a
/// few metadata columns is about 1 MB; axum's default of 2 MB would refuse
/// a wider file.
pub const IMPORT_BODY_LIMIT: usize = 10 * 1024 * 1024;

pub fn routes() -> ApiRouter {
    let import = ApiRouter::new()
        .routes(routes!(import_contacts))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    ApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .merge(import)
}

/// The user's contacts, searched, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/api/contacts",
    tag = "contacts",
    security(("bearer" = [])),
    params(ContactQuery),
    responses(
        (status = 200, description = "One page of contacts", body = Paged<ContactView>),
        (status = 400, description = "Malformed group id", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "A parameter is out of range or of the wrong type, or the search is longer than 100 characters", body = ErrorBody),
    )
)]
async fn list_contacts(
    user: AuthUser,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ContactQuery>,
) -> Result<Json<Paged<ContactView>>> {
    service::list(&state.db, user.user_id, &query)
        .await
        .map(Json)
}

/// Creates a contact; the number is stored in E.164.
#[utoipa::path(
    post,
    path = "/api/contacts",
    tag = "contacts",
    security(("bearer" = [])),
    request_body = NewContact,
    responses(
        (status = 201, description = "Created", body = ContactView),
        (status = 400, description = "Malformed JSON or group id", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "The user already has a contact with this number", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
    )
)]
async fn create_contact(
    user: AuthUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewContact>,
) -> Result<(StatusCode, Json<ContactView>)> {
    let contact = service::create(&state.db, user.user_id, input).await?;
    Ok((StatusCode::CREATED, Json(contact.into())))
}

/// One contact.
#[utoipa::path(
    get,
    path = "/api/contacts/{id}",
    tag = "contacts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "The contact", body = ContactView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such contact of this user", body = ErrorBody),
    )
)]
async fn get_contact(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ContactView>> {
    let id = object_id("id", &id)?;
    let contact = service::get(&state.db, user.user_id, id).await?;
    Ok(Json(contact.into()))
}

/// Changes the fields given; `null` clears `email`, `timezone`, `tags`,
/// `groups` and `metadata`.
#[utoipa::path(
    patch,
    path = "/api/contacts/{id}",
    tag = "contacts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    request_body = ContactPatch,
    responses(
        (status = 200, description = "The contact as changed", body = ContactView),
        (status = 400, description = "Malformed id or JSON", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such contact of this user", body = ErrorBody),
        (status = 409, description = "Another contact has this number", body = ErrorBody),
        (status = 422, description = "A field breaks a rule", body = ErrorBody),
    )
)]
async fn update_contact(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ContactPatch>,
) -> Result<Json<ContactView>> {
    let id = object_id("id", &id)?;
    let contact = service::update(&state.db, user.user_id, id, patch).await?;
    Ok(Json(contact.into()))
}

/// Deletes a contact and removes it from the user's contact lists.
#[utoipa::path(
    delete,
    path = "/api/contacts/{id}",
    tag = "contacts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such contact of this user", body = ErrorBody),
    )
)]
async fn delete_contact(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    service::delete(&state.db, user.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports a CSV file (`Content-Type: text/csv`, header row first) or
/// JSON rows (`{"rows":[…]}` or `[…]`). Headers are recognized in common
/// spellings; other columns go to `metadata`. A number the user already
/// has updates that contact.
#[utoipa::path(
    post,
    path = "/api/contacts/import",
    tag = "contacts",
    security(("bearer" = [])),
    request_body(
        description = "CSV with a header row, or JSON rows",
        content(
            (String = "text/csv"),
            (Object = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "What was created, updated and skipped, with each rejected row's reason", body = ImportReport),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Empty or too large file (too many bytes, rows or columns), a column name with NUL, or no phone or name column", body = ErrorBody),
    )
)]
async fn import_contacts(
    user: AuthUser,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportReport>> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::validation(
                "file",
                format!(
                    "the import is larger than {} MB; split the file",
                    IMPORT_BODY_LIMIT / (1024 * 1024)
                ),
            )
        } else {
            Error::bad_request(Some("file"), rejection.body_text())
        }
    })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let table = import_body::parse_off_workers(content_type, body).await?;
    import::import(&state.db, user.user_id, table)
        .await
        .map(Json)
}
