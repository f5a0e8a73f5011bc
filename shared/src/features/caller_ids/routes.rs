//! `/api/caller-ids`: thin handlers over the caller ID service, with
//! their OpenAPI annotations.

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::service::{self, NewCallerId};
use super::view::{CallerIdList, CallerIdView, ValidationStarted};
use crate::error::{ErrorBody, Result};
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};
use crate::integrations::twilio::CallerIdsClient;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_caller_ids, add_caller_id))
        .routes(routes!(delete_caller_id))
        .routes(routes!(refresh_caller_id))
}

fn twilio(state: &AppState) -> Option<CallerIdsClient> {
    CallerIdsClient::from_config(state.http.clone(), &state.config.twilio)
}

/// The user's caller IDs, verified or pending, and the preferred one.
#[utoipa::path(
    get,
    path = "/api/caller-ids",
    tag = "caller-ids",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CallerIdList),
        Unauthorized,
    )
)]
async fn list_caller_ids(
    user: AuthUser,
    State(state): State<AppState>,
) -> Result<Json<CallerIdList>> {
    service::list(&state.db, user.user_id).await.map(Json)
}

/// Starts verifying a number: Twilio calls it shortly and the user types
/// the `validationCode` answered here. The number is pending until Twilio
/// reports success.
#[utoipa::path(
    post,
    path = "/api/caller-ids",
    tag = "caller-ids",
    security(("bearer" = [])),
    request_body = NewCallerId,
    responses(
        (status = 201, body = ValidationStarted),
        MalformedJson,
        Unauthorized,
        (status = 409, description = "Already verified (by you, or by another account)", body = ErrorBody),
        (status = 422, description = "Not a valid phone number, name too long, or refused by the phone service", body = ErrorBody),
        (status = 503, description = "The phone service is not configured or not answering", body = ErrorBody),
    )
)]
async fn add_caller_id(
    user: AuthUser,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewCallerId>,
) -> Result<(StatusCode, Json<ValidationStarted>)> {
    let started = service::add(
        &state.db,
        twilio(&state).as_ref(),
        state.config.webhook_base_url.as_deref(),
        user.user_id,
        input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// Removes a caller ID (from both stores and from Twilio); clears
/// `preferredCallerID` when it was this number.
#[utoipa::path(
    delete,
    path = "/api/caller-ids/{phone}",
    tag = "caller-ids",
    security(("bearer" = [])),
    params(("phone" = String, Path, description = "The number, E.164 (`%2B12125550100`)")),
    responses(
        (status = 204, description = "Removed"),
        Unauthorized,
        (status = 404, description = "Not one of your caller IDs", body = ErrorBody),
        (status = 422, description = "Not a phone number", body = ErrorBody),
    )
)]
async fn delete_caller_id(
    user: AuthUser,
    State(state): State<AppState>,
    Path(phone): Path<String>,
) -> Result<StatusCode> {
    service::delete(&state.db, twilio(&state).as_ref(), user.user_id, &phone).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks Twilio whether a pending number is verified now, and records it
/// when it is.
#[utoipa::path(
    post,
    path = "/api/caller-ids/{phone}/refresh",
    tag = "caller-ids",
    security(("bearer" = [])),
    params(("phone" = String, Path, description = "The number, E.164 (`%2B12125550100`)")),
    responses(
        (status = 200, body = CallerIdView),
        Unauthorized,
        (status = 404, description = "Not one of your caller IDs", body = ErrorBody),
        (status = 409, description = "Verified by another account", body = ErrorBody),
        (status = 422, description = "Not a phone number", body = ErrorBody),
        (status = 503, description = "The phone service is not configured or not answering", body = ErrorBody),
    )
)]
async fn refresh_caller_id(
    user: AuthUser,
    State(state): State<AppState>,
    Path(phone): Path<String>,
) -> Result<Json<CallerIdView>> {
    service::refresh(&state.db, twilio(&state).as_ref(), user.user_id, &phone)
        .await
        .map(Json)
}
