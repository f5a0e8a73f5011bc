//! The signed-in user as the frontend sees it.

use chrono::{DateTime, Utc};
use mongodb::bson::Document;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::http::json::document_to_json;
use crate::model::User;

/// A user as the frontend sees it: no password hash, no SMS state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub is_phone_verified: bool,
    pub timezone: Option<String>,
    #[serde(rename = "preferredCallerID")]
    pub preferred_caller_id: Option<String>,
    #[schema(value_type = Object)]
    pub preferences: Value,
    #[schema(value_type = Object)]
    pub ai_config: Value,
    pub free_minutes: f64,
    pub free_calls: Option<f64>,
    pub has_active_subscription: bool,
    pub subscription_status: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        let object = |doc: &Option<Document>| {
            doc.as_ref()
                .map_or_else(|| Value::Object(Map::new()), document_to_json)
        };
        Self {
            id: user.id.to_hex(),
            name: user.name.clone(),
            email: user.email().map(str::to_string),
            phone_number: user.phone_number.clone().filter(|p| !p.trim().is_empty()),
            is_phone_verified: user.is_phone_verified.unwrap_or(false),
            timezone: user.timezone.clone().filter(|z| !z.trim().is_empty()),
            preferred_caller_id: user.preferred_caller_id().map(str::to_string),
            preferences: object(&user.preferences),
            ai_config: object(&user.ai_config),
            free_minutes: user.free_minutes(),
            free_calls: user.free_calls.map(|n| n.as_f64()),
            has_active_subscription: user.has_active_subscription.unwrap_or(false),
            subscription_status: user.subscription_status.clone(),
            created_at: user.created_at.map(|d| d.to_chrono()),
            updated_at: user.updated_at.map(|d| d.to_chrono()),
        }
    }
}
