//! What `/api/me` does: read the user, and apply a profile patch
//! (checking the caller ID is one of the user's verified ones, merging
//! preferences and AI settings key by key, the AI disclosure by its own
//! rules).

use mongodb::bson::{oid::ObjectId, Document};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::disclosure::{self, AiDisclosurePatch};
use super::repo::{self, ProfileChanges};
use crate::error::{Error, Result};
use crate::http::input::object_keys;
use crate::http::json::from_json;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::User;
use crate::model::{ai_disclosure, phone};

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
    /// What AI calls open with (stored at `preferences.aiDisclosure`,
    /// which `preferences` itself may not write).
    pub ai_disclosure: Option<AiDisclosurePatch>,
}

/// Tells `"field": null` (Some(None)) from an absent field (None).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Applies `patch` to the user's document with one targeted update.
pub async fn update_profile(db: &Db, user_id: ObjectId, patch: ProfilePatch) -> Result<User> {
    let user = find_user(db, user_id).await?;
    let mut changes = ProfileChanges::default();
    if let Some(name) = patch.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::validation(
                "name",
                "name must have 1 to 100 characters",
            ));
        }
        changes.name = Some(name.to_string());
    }
    if let Some(zone) = patch.timezone {
        let zone = crate::http::input::parse_timezone("timezone", &zone)?;
        changes.timezone = Some(zone.name().to_string());
    }
    if let Some(caller_id) = patch.preferred_caller_id {
        let value = match caller_id.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(raw) => verified_caller_id(db, &user, raw).await?,
        };
        changes.preferred_caller_id = Some(value);
    }
    if let Some(keys) = patch.preferences {
        if keys.contains_key(ai_disclosure::PREFERENCES_KEY) {
            return Err(Error::validation(
                format!("preferences.{}", ai_disclosure::PREFERENCES_KEY),
                "set it with aiDisclosure",
            ));
        }
        changes.preferences = Some(merge("preferences", user.preferences.clone(), &keys)?);
    }
    if let Some(disclosure) = &patch.ai_disclosure {
        let preferences = changes
            .preferences
            .take()
            .or_else(|| user.preferences.clone())
            .unwrap_or_default();
        changes.preferences = Some(disclosure::apply(
            preferences,
            disclosure,
            user_id,
            chrono::Utc::now(),
        )?);
    }
    if let Some(keys) = patch.ai_config {
        changes.ai_config = Some(merge("aiConfig", user.ai_config.clone(), &keys)?);
    }
    repo::save_profile(db, user_id, changes).await?;
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
/// did not send. Every key, nested ones included, must be one MongoDB
/// stores as written (no leading `$`, no `.`, no NUL): a 422 names the
/// path of the first that is not.
fn merge(field: &str, stored: Option<Document>, changes: &Map<String, Value>) -> Result<Document> {
    object_keys(field, changes)?;
    let mut merged = stored.unwrap_or_default();
    for (key, value) in changes {
        if value.is_null() {
            merged.remove(key);
        } else {
            merged.insert(key.clone(), from_json(value));
        }
    }
    Ok(merged)
}

/// The user `id`, or a 404.
pub async fn find_user(db: &Db, id: ObjectId) -> Result<User> {
    store::find_by_id(db, id)
        .await?
        .ok_or(Error::NotFound { what: "user" })
}
