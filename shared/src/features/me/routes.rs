//! `GET /api/me` and `PATCH /api/me`: thin handlers over
//! [`super::service`].

use crate::http::routes;
use axum::extract::State;
use axum::Json;

use super::service::{self, ProfilePatch};
use super::view::UserView;
use crate::error::{ErrorBody, Result};
use crate::http::responses::Unauthorized;
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserView),
        Unauthorized,
        (status = 404, body = ErrorBody, description = "The account was deleted"),
    )
)]
async fn get_me(State(state): State<AppState>, user: AuthUser) -> Result<Json<UserView>> {
    let user = service::find_user(&state.db, user.user_id).await?;
    Ok(Json(UserView::from(&user)))
}

/// Updates profile fields, timezone, caller ID, preferences, AI settings.
#[utoipa::path(
    patch,
    path = "/api/me",
    tag = "me",
    security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = UserView),
        (status = 400, body = ErrorBody),
        Unauthorized,
        (status = 422, body = ErrorBody),
    )
)]
async fn patch_me(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<Json<UserView>> {
    let user = service::update_profile(&state.db, user.user_id, patch).await?;
    Ok(Json(UserView::from(&user)))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(get_me, patch_me))
}
