//! `/api/calls`: thin handlers over the calls service.

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::Value;

use super::follow_up::FollowUpPatch;
use super::place::{frequency_cap_passed, place_now, CallNow};
use super::query::CallQuery;
use super::service;
use super::stats::{stats, CallStats, StatsQuery};
use super::view::{CallDetail, CallSummary};
use crate::error::{ErrorBody, Result};
use crate::features::idempotency::{self, Answer};
use crate::features::scheduled_calls::ScheduledCallView;
use crate::http::extract::object_id;
use crate::http::idempotency_key::IdempotencyKeyHeader;
use crate::http::page::Paged;
use crate::http::responses::{MalformedId, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser, IdempotencyKey};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_calls, call_now))
        .routes(routes!(call_stats))
        .routes(routes!(get_call, patch_call))
}

/// The user's calls, newest first, without transcripts.
#[utoipa::path(
    get,
    path = "/api/calls",
    tag = "calls",
    security(("bearer" = [])),
    params(CallQuery),
    responses(
        (status = 200, description = "One page of calls", body = Paged<CallSummary>),
        (status = 400, description = "Malformed `automationId` or `contactId`; `field` names it", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "A filter value that is not acceptable (unknown status, empty value, bad date or flag, `from` after `to`, unknown contact, category or search too long) or a bad page or limit; `field` names it", body = ErrorBody),
    )
)]
async fn list_calls(
    user: AuthUser,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CallQuery>,
) -> Result<Json<Paged<CallSummary>>> {
    service::list(&state.db, user.user_id, &query)
        .await
        .map(Json)
}

/// Calls a contact (or a number) now: records a manual scheduled call due
/// now and hands it to the dial queue at once (`queued`). Where no queue
/// is configured, or the queue refuses it, it stays `pending` and the
/// evaluator's next sweep (within a minute) sends it. The dialer then
/// places it, or records why not in `errorMessage`
/// (`GET /api/scheduled-calls`).
///
/// A contact (or number) that already has a manual call pending, queued
/// or in progress is a 409 naming that call, unless `allowConcurrent` is
/// true. Send an `Idempotency-Key` to make retries safe: the same key and
/// body within 24 hours answer the first answer again and call no one.
#[utoipa::path(
    post,
    path = "/api/calls",
    tag = "calls",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = CallNow,
    responses(
        (status = 202, description = "Recorded and handed to the dialer (`queued`), or `pending` for the next sweep; a replay of an `Idempotency-Key` carries `Idempotent-Replayed: true`", body = ScheduledCallView),
        (status = 400, description = "Malformed JSON, contact or automation id, or `Idempotency-Key`", body = ErrorBody),
        Unauthorized,
        (status = 409, description = "The contact (`field: contactId`) or number (`phoneNumber`) already has an open manual call, named in the message; or the request holding this `Idempotency-Key` is still running (`field: Idempotency-Key`)", body = ErrorBody),
        (status = 422, description = "Bad number, unknown contact or automation, unknown call mode, notes too long; or an `Idempotency-Key` already used with another body", body = ErrorBody),
    )
)]
async fn call_now(
    user: AuthUser,
    State(state): State<AppState>,
    key: IdempotencyKey,
    ApiJson(input): ApiJson<CallNow>,
) -> Result<Answer> {
    let request = idempotency::Request {
        user_id: user.user_id,
        key,
        route: "POST /api/calls",
        body: &input,
    };
    idempotency::once(&state.db, request, || async {
        let queue = state.dial_queue.as_ref();
        let now = Utc::now();
        let call = place_now(&state.db, queue, user.user_id, input.clone(), now).await?;
        let passed = frequency_cap_passed(&state.db, &call, now).await?;
        let mut view = ScheduledCallView::from(call);
        view.frequency_cap_passed = Some(passed);
        Ok((StatusCode::ACCEPTED, view))
    })
    .await
}

/// The dashboard's numbers: calls per category and per status, answered
/// calls, open follow-ups and minutes, over an optional date range.
#[utoipa::path(
    get,
    path = "/api/calls/stats",
    tag = "calls",
    security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "The user's call numbers", body = CallStats),
        (status = 400, description = "Malformed `automationId`", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "Bad date or flag, or `from` after `to`; `field` names it", body = ErrorBody),
    )
)]
async fn call_stats(
    user: AuthUser,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<StatsQuery>,
) -> Result<Json<CallStats>> {
    stats(&state.db, user.user_id, &query).await.map(Json)
}

/// One call with its transcript (both stored turn shapes read as one),
/// analysis, metrics and AI settings.
#[utoipa::path(
    get,
    path = "/api/calls/{id}",
    tag = "calls",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    responses(
        (status = 200, description = "The call", body = CallDetail),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such call of this user", body = ErrorBody),
    )
)]
async fn get_call(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CallDetail>> {
    let id = object_id("id", &id)?;
    let call = service::get(&state.db, user.user_id, id).await?;
    Ok(Json(call.into()))
}

/// The owner's follow-up on a call: `{"followUpDone": true}` marks it
/// handled (stamping `followUpDoneAt` the first time), `false` reopens
/// it; `followUpNeeded` overrides the AI's flag (`false` dismisses it);
/// `followUpNote` records what was done. Open follow-ups are
/// `followUpNeeded` and not `followUpDone`
/// (`GET /api/calls?followUpNeeded=true&followUpDone=false`). Only these
/// `analysis` fields are written; the rest of the call is left as it is.
#[utoipa::path(
    patch,
    path = "/api/calls/{id}",
    tag = "calls",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Call id")),
    request_body = FollowUpPatch,
    responses(
        (status = 200, description = "The call as it now is", body = CallDetail),
        (status = 400, description = "Malformed id or JSON, or not a JSON body", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such call of this user", body = ErrorBody),
        (status = 422, description = "Not an object, an unknown field, a wrong type, a note too long or an empty patch; `field` names it", body = ErrorBody),
    )
)]
async fn patch_call(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<CallDetail>> {
    let id = object_id("id", &id)?;
    let patch = FollowUpPatch::parse(&body)?;
    let call = service::mark_follow_up(&state.db, user.user_id, id, &patch).await?;
    Ok(Json(call.into()))
}
