//! HTTP handlers of `/api/do-not-call`, with their OpenAPI annotations:
//! extract, call the service, answer.

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::service::{self, ListQuery, NewEntry, RemoveQuery};
use super::view::{DoNotCallView, Registered};
use crate::error::{ErrorBody, Result};
use crate::http::page::Paged;
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_entries, add_entry))
        .routes(routes!(remove_entry))
}

/// The caller's do-not-call registry, newest first.
#[utoipa::path(
    get,
    path = "/api/do-not-call",
    tag = "do-not-call",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "One page of entries", body = Paged<DoNotCallView>),
        Unauthorized,
        (status = 422, description = "Bad `page`, `limit` or `phoneNumber`", body = ErrorBody),
    )
)]
async fn list_entries(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Paged<DoNotCallView>>> {
    service::list(&state.db, auth.user_id, query)
        .await
        .map(Json)
}

/// Adds a number to the caller's do-not-call registry: no automation or
/// manual call dials it until it is removed. Registering a number already
/// registered answers its entry (200).
#[utoipa::path(
    post,
    path = "/api/do-not-call",
    tag = "do-not-call",
    security(("bearer" = [])),
    request_body = NewEntry,
    responses(
        (status = 201, description = "Registered", body = Registered),
        (status = 200, description = "Already registered", body = Registered),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Invalid `phoneNumber` or `note`", body = ErrorBody),
    )
)]
async fn add_entry(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewEntry>,
) -> Result<(StatusCode, Json<Registered>)> {
    let registered = service::add(&state.db, auth.user_id, body, Utc::now()).await?;
    let status = if registered.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(registered)))
}

/// Removes a number from the registry. The entry is kept, marked removed
/// with when, by whom and why.
#[utoipa::path(
    delete,
    path = "/api/do-not-call/{phoneNumber}",
    tag = "do-not-call",
    security(("bearer" = [])),
    params(
        ("phoneNumber" = String, Path, description = "The number, in any common spelling (`+` may be sent as `%2B`)", example = "2125550144"),
        RemoveQuery,
    ),
    responses(
        (status = 200, description = "The entry as removed", body = DoNotCallView),
        Unauthorized,
        (status = 404, description = "The number is not on the caller's registry", body = ErrorBody),
        (status = 422, description = "Invalid `phoneNumber` or `reason`", body = ErrorBody),
    )
)]
async fn remove_entry(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(phone_number): Path<String>,
    ApiQuery(query): ApiQuery<RemoveQuery>,
) -> Result<Json<DoNotCallView>> {
    service::remove(&state.db, auth.user_id, &phone_number, query, Utc::now())
        .await
        .map(Json)
}
