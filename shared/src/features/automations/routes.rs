//! `/api/automations`: thin handlers over [`service`] and [`preview`].

use crate::http::routes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::input::AutomationInput;
use super::preview::{self, Preview, PreviewQuery};
use super::service;
use super::view::AutomationView;
use crate::error::{ErrorBody, Result};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::http::responses::{MalformedId, Unauthorized};
use crate::http::{ApiJson, ApiQuery, ApiRouter, AppState, AuthUser};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(list_automations, create_automation))
        .routes(routes!(
            get_automation,
            update_automation,
            delete_automation
        ))
        .routes(routes!(activate_automation))
        .routes(routes!(pause_automation))
        .routes(routes!(preview_automation))
}

/// `?active=true&page=1&limit=50`.
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AutomationQuery {
    /// Only active (`true`) or paused (`false`) automations.
    pub active: Option<bool>,
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// The user's automations, newest first.
#[utoipa::path(
    get,
    path = "/api/automations",
    tag = "automations",
    security(("bearer" = [])),
    params(AutomationQuery),
    responses(
        (status = 200, description = "One page of automations", body = Paged<AutomationView>),
        Unauthorized,
        (status = 422, description = "A parameter is out of range or of the wrong type", body = ErrorBody),
    )
)]
async fn list_automations(
    user: AuthUser,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AutomationQuery>,
) -> Result<Json<Paged<AutomationView>>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    service::list(&state.db, user.user_id, query.active, page)
        .await
        .map(Json)
}

/// Creates an automation (second-generation fields). The evaluator looks
/// at it on its next pass and calls occurrences from now on.
#[utoipa::path(
    post,
    path = "/api/automations",
    tag = "automations",
    security(("bearer" = [])),
    request_body = AutomationInput,
    responses(
        (status = 201, description = "Created", body = AutomationView),
        (status = 400, description = "Malformed JSON or id", body = ErrorBody),
        Unauthorized,
        (status = 422, description = "A field breaks a rule, or names another user's contact or recording", body = ErrorBody),
    )
)]
async fn create_automation(
    user: AuthUser,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AutomationInput>,
) -> Result<(StatusCode, Json<AutomationView>)> {
    let automation = service::create(&state.db, user.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(automation.into())))
}

/// One automation, either generation.
#[utoipa::path(
    get,
    path = "/api/automations/{id}",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id")),
    responses(
        (status = 200, description = "The automation", body = AutomationView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
    )
)]
async fn get_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AutomationView>> {
    let id = object_id("id", &id)?;
    let automation = service::get(&state.db, user.user_id, id).await?;
    Ok(Json(automation.into()))
}

/// Changes the fields given, and nothing else. A first-generation
/// automation whose timing changes is rewritten to second-generation
/// timing (its legacy fields are kept, `triggerType` is removed).
#[utoipa::path(
    patch,
    path = "/api/automations/{id}",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id")),
    request_body = AutomationInput,
    responses(
        (status = 200, description = "The automation as changed", body = AutomationView),
        (status = 400, description = "Malformed id or JSON", body = ErrorBody),
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
        (status = 422, description = "A field breaks a rule, or names another user's contact or recording", body = ErrorBody),
    )
)]
async fn update_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AutomationInput>,
) -> Result<Json<AutomationView>> {
    let id = object_id("id", &id)?;
    let automation = service::update(&state.db, user.user_id, id, body).await?;
    Ok(Json(automation.into()))
}

/// Deletes the automation and cancels its calls not yet started.
#[utoipa::path(
    delete,
    path = "/api/automations/{id}",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id")),
    responses(
        (status = 204, description = "Deleted"),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
    )
)]
async fn delete_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    let id = object_id("id", &id)?;
    service::delete(&state.db, user.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts calling again, from now on.
#[utoipa::path(
    post,
    path = "/api/automations/{id}/activate",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id")),
    responses(
        (status = 200, description = "The automation, active", body = AutomationView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
    )
)]
async fn activate_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AutomationView>> {
    let id = object_id("id", &id)?;
    let automation = service::activate(&state.db, user.user_id, id).await?;
    Ok(Json(automation.into()))
}

/// Stops calling and cancels the calls not yet started.
#[utoipa::path(
    post,
    path = "/api/automations/{id}/pause",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id")),
    responses(
        (status = 200, description = "The automation, paused", body = AutomationView),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
    )
)]
async fn pause_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AutomationView>> {
    let id = object_id("id", &id)?;
    let automation = service::pause(&state.db, user.user_id, id).await?;
    Ok(Json(automation.into()))
}

/// The calls the automation will place in the next `days` days, as the
/// evaluator will record them and the dialer place them (quiet hours, the
/// federal floor, the recipient's state's hours and the frequency caps
/// applied), and the contacts it will not call (the do-not-call registry
/// included).
#[utoipa::path(
    get,
    path = "/api/automations/{id}/preview",
    tag = "automations",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Automation id"), PreviewQuery),
    responses(
        (status = 200, description = "Upcoming calls sorted by callAt, and skipped contacts", body = Preview),
        MalformedId,
        Unauthorized,
        (status = 404, description = "No such automation of this user", body = ErrorBody),
        (status = 422, description = "days out of range, or the stored timing is unusable", body = ErrorBody),
    )
)]
async fn preview_automation(
    user: AuthUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> Result<Json<Preview>> {
    let id = object_id("id", &id)?;
    let days = preview::days(query)?;
    let max_lateness = chrono::Duration::minutes(
        i64::try_from(state.config.max_call_lateness_minutes).unwrap_or(i64::MAX / 60_000),
    );
    preview::preview(&state.db, user.user_id, id, Utc::now(), days, max_lateness)
        .await
        .map(Json)
}
