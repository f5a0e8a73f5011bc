//! `/api/scheduled-calls`: thin handlers over [`service`].

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::service::{self, NewManualCall, ScheduledCallQuery};
use super::view::ScheduledCallView;
use crate::error::{ErrorBody, Result};
use crate::features::idempotency::{self, Answer};
use crate::http::extract::object_id;
use crate::http::idempotency_key::IdempotencyKeyHeader;
use crate::http::page::Paged;
use crate::http::responses::{MalformedId, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser, IdempotencyKey};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_scheduled_calls, create_scheduled_call))
        .routes(routes!(cancel_scheduled_call))
}

/// The user's scheduled calls, newest `scheduledTime` first.
#[utoipa::path(
    get,
    path = "/api/scheduled-calls",
    tag = "scheduled-calls",
    security(("bearer" = [])),
    params(ScheduledCallQuery),
    responses(
        (status = 200, description = "One page of scheduled calls", body = Paged<ScheduledCallView>),
        (status = 400, description = "Malformed automation id", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "Unknown status, bad date or page", body = ErrorBody),
    )
)]
async fn list_scheduled_calls(
    user: AuthUser,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ScheduledCallQuery>,
) -> Result<Json<Paged<ScheduledCallView>>> {
    service::list(&state.db, user.user_id, &query)
        .await
        .map(Json)
}

/// Schedules a manual call to a contact or a number, `pending` until its
/// time.
///
/// A contact (or number) that already has a manual call pending, queued
/// or in progress is a 409 naming that call, unless `allowConcurrent` is
/// true. Send an `Idempotency-Key` to make retries safe: the same key and
/// body within 24 hours answer the first answer again and record nothing.
#[utoipa::path(
    post,
    path = "/api/scheduled-calls",
    tag = "scheduled-calls",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = NewManualCall,
    responses(
        (status = 201, description = "Scheduled; a replay of an `Idempotency-Key` carries `Idempotent-Replayed: true`", body = ScheduledCallView),
        (status = 400, description = "Malformed JSON, contact id or `Idempotency-Key`", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "The contact (`field: contactId`) or number (`phoneNumber`) already has an open manual call, named in the message; or the request holding this `Idempotency-Key` is still running (`field: Idempotency-Key`)", body = ErrorBody),
        (status = 422, description = "Time not in the future, bad number, unknown contact or call mode; or an `Idempotency-Key` already used with another body", body = ErrorBody),
    )
)]
async fn create_scheduled_call(
    user: AuthUser,
    State(state): State<AppState>,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<NewManualCall>,
) -> Result<Answer> {
    let request = idempotency::Request {
        user_id: user.user_id,
        key,
        route: "POST /api/scheduled-calls",
        body: &input,
    };
    idempotency::once(&state.db, request, || async {
        let now = Utc::now();
        let call = service::create_manual(&state.db, user.user_id, input.clone(), now).await?;
        let passed = service::frequency_cap_passed(&state.db, &call, now).await?;
        let mut view = ScheduledCallView::from(call);
        view.frequency_cap_passed = Some(passed);
        Ok((StatusCode::CREATED, view))
    })
    .await
}

/// Cancels a call that has not started (`pending`, `enqueuing` or
/// `queued`); cancelling a cancelled call answers it unchanged.
#[utoipa::path(
    delete,
    path = "/api/scheduled-calls/{id}",
    tag = "scheduled-calls",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Scheduled call id")),
    responses(
        (status = 200, description = "The call, cancelled", body = ScheduledCallView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such scheduled call of this user", body = ErrorBody),
        (status = 409, description = "The call has already started", body = ErrorBody),
    )
)]
async fn cancel_scheduled_call(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ScheduledCallView>> {
    let id = object_id("id", &id)?;
    let call = service::cancel(&state.db, user.user_id, id).await?;
    Ok(Json(call.into()))
}
