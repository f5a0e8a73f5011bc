//! What `POST /api/feedback` does: check the category and text, and
//! store them the way the Node app stored them
//! (`{category, feedback, timestamp, user}`) with the store's insert.

use mongodb::bson::{self, oid::ObjectId};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::FeedbackView;
use crate::error::{Error, Result};
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
