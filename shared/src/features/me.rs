//! `GET /api/me`, `PATCH /api/me`: the signed-in user's profile and settings.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::routes;

use crate::error::{Error, ErrorBody, Result};
use crate::http::json::{document_to_json, from_json};
use crate::http::responses::Unauthorized;
use crate::http::{ApiJson, ApiRouter, AppState, AuthUser};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::phone;
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

/// `PATCH /api/me`: only the fields given change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfilePatch {
    pub name: Option<String>,
    /// IANA zone, such as `America/New_York`.
    pub timezone: Option<String>,
    /// One of the user's verified caller IDs; `""` or `null` clears it.
    #[serde(rename = "preferredCallerID", default, deserialize_with = "present")]
    pub preferred_caller_id: Option<Option<String>>,
    /// Keys merged into the stored preferences; `null` removes a key.
    #[schema(value_type = Option<Object>)]
    pub preferences: Option<Map<String, Value>>,
    /// Keys merged into the stored AI settings; `null` removes a key.
    #[schema(value_type = Option<Object>)]
    pub ai_config: Option<Map<String, Value>>,
}

/// Tells `"field": null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Applies `patch` to the user's document with one targeted `$set`.
pub async fn update_profile(
    db: &Db,
    user_id: mongodb::bson::oid::ObjectId,
    patch: ProfilePatch,
) -> Result<User> {
    let user = find_user(db, user_id).await?;
    let mut set = Document::new();
    if let Some(name) = patch.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::validation(
                "name",
                "name must have 1 to 100 characters",
            ));
        }
        set.insert("name", name);
    }
    if let Some(zone) = patch.timezone {
        set.insert(
            "timezone",
            crate::http::input::parse_timezone("timezone", &zone)?.name(),
        );
    }
    if let Some(caller_id) = patch.preferred_caller_id {
        let value = match caller_id.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(raw) => verified_caller_id(db, &user, raw).await?,
        };
        set.insert("preferredCallerID", value);
    }
    if let Some(changes) = patch.preferences {
        set.insert(
            "preferences",
            merge("preferences", user.preferences.clone(), &changes)?,
        );
    }
    if let Some(changes) = patch.ai_config {
        set.insert(
            "aiConfig",
            merge("aiConfig", user.ai_config.clone(), &changes)?,
        );
    }
    if !set.is_empty() {
        store::set_fields::<User>(db, doc! { "_id": user_id }, set).await?;
    }
    find_user(db, user_id).await
}

/// `raw` in E.164 if it is one of the user's verified caller IDs: in
/// `verifiedNumbers`, or in the older `twilioConfig.verifiedCallerIds`.
async fn verified_caller_id(db: &Db, user: &User, raw: &str) -> Result<String> {
    let e164 = phone::to_e164(raw, None)
        .map_err(|e| Error::validation("preferredCallerID", format!("preferredCallerID {e}")))?;
    if crate::features::caller_ids::is_verified(db, user, &e164).await? {
        Ok(e164)
    } else {
        Err(Error::validation(
            "preferredCallerID",
            "not one of your verified caller IDs",
        ))
    }
}

/// Merges JSON keys into a stored sub-document, keeping keys the client
/// did not send.
fn merge(field: &str, stored: Option<Document>, changes: &Map<String, Value>) -> Result<Document> {
    let mut merged = stored.unwrap_or_default();
    for (key, value) in changes {
        if key.is_empty() || key.starts_with('$') || key.contains('.') {
            return Err(Error::validation(
                format!("{field}.{key}"),
                "keys may not be empty, start with $ or contain .",
            ));
        }
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.clone(), from_json(value));
        }
    }
    Ok(merged)
}

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
    let user = find_user(&state.db, user.user_id).await?;
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
    let user = update_profile(&state.db, user.user_id, patch).await?;
    Ok(Json(UserView::from(&user)))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(get_me, patch_me))
}

/// The user `id`, or a 404.
async fn find_user(db: &Db, id: mongodb::bson::oid::ObjectId) -> Result<User> {
    store::find_by_id(db, id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}
