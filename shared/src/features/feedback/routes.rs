//! `POST /api/feedback`: a thin handler over [`super::service`].

use crate::http::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::service::{self, NewFeedback};
use super::view::FeedbackView;
use crate::error::{ErrorBody, Result};
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};

/// Sends feedback to the HeyWay team.
#[utoipa::path(
    post,
    path = "/api/feedback",
    tag = "feedback",
    security(("bearer" = [])),
    request_body = NewFeedback,
    responses(
        (status = 201, description = "Stored", body = FeedbackView),
        MalformedJson,
        Unauthorized,
        (status = 422, description = "Unknown `category`, or empty or too long `text`", body = ErrorBody),
    )
)]
async fn create_feedback(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewFeedback>,
) -> Result<(StatusCode, Json<FeedbackView>)> {
    let view = service::submit(&state.db, auth.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(create_feedback))
}
