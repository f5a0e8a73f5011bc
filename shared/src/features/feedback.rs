//! `POST /api/feedback`: what a user tells us, stored the way the Node app
//! stored it (`{category, feedback, timestamp, user}`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use mongodb::bson::{self, oid::ObjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use crate::error::{Error, ErrorBody, Result};
use crate::http::responses::{MalformedJson, Unauthorized};
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::Feedback;

/// The categories the frontend offers.
pub const CATEGORIES: [&str; 4] = ["bug", "feature", "general", "other"];
/// At most this many characters of text, after trimming.
pub const MAX_TEXT: usize = 5000;

/// `POST /api/feedback`. The old frontend sends the text as `feedback`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewFeedback {
    /// `bug`, `feature`, `general` or `other`.
    pub category: String,
    /// 1 to 5000 characters.
    pub text: Option<String>,
    /// The old frontend's name for `text`.
    pub feedback: Option<String>,
}

/// Feedback as stored.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackView {
    pub id: String,
    pub category: String,
    pub text: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<&Feedback> for FeedbackView {
    fn from(feedback: &Feedback) -> Self {
        Self {
            id: feedback.id.to_hex(),
            category: feedback.category.clone(),
            text: feedback.feedback.clone(),
            created_at: feedback
                .created_at
                .or(feedback.timestamp)
                .map(|d| d.to_chrono()),
        }
    }
}

/// Checks and stores `new` as `user_id`'s feedback.
pub async fn submit(db: &Db, user_id: ObjectId, new: NewFeedback) -> Result<FeedbackView> {
    let category = new.category.trim().to_ascii_lowercase();
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(Error::validation(
            "category",
            format!("category must be one of {}", CATEGORIES.join(", ")),
        ));
    }
    let text = new
        .text
        .or(new.feedback)
        .ok_or_else(|| Error::validation("text", "text is required"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::validation("text", "text must not be empty"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(Error::validation(
            "text",
            format!("text must be at most {MAX_TEXT} characters"),
        ));
    }
    let feedback = Feedback {
        id: ObjectId::new(),
        user: user_id,
        category,
        feedback: text.to_string(),
        timestamp: Some(bson::DateTime::now()),
        created_at: None,
        updated_at: None,
        version: None,
    };
    let stored = store::insert(db, &feedback).await?;
    Ok(FeedbackView::from(&stored))
}

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
    let view = submit(&state.db, auth.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(create_feedback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_falls_back_to_the_timestamp() {
        let at = bson::DateTime::from_millis(1_000);
        let feedback = Feedback {
            id: ObjectId::new(),
            user: ObjectId::new(),
            category: "bug".into(),
            feedback: "test ".into(),
            timestamp: Some(at),
            created_at: None,
            updated_at: None,
            version: None,
        };
        let view = FeedbackView::from(&feedback);
        assert_eq!(view.text, "test ");
        assert_eq!(view.created_at, Some(at.to_chrono()));
    }
}
