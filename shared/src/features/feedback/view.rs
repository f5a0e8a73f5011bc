//! Feedback as the API answers it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Feedback;

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

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{self, oid::ObjectId};

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
