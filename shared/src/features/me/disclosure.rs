//! `PATCH /api/me` `aiDisclosure`: the words AI calls open with, and the
//! explicit, recorded way to turn them off (docs/compliance.md, section
//! 4). Stored at `preferences.aiDisclosure`
//! ([`crate::model::ai_disclosure`]); the generic `preferences` merge may
//! not write that key, so every change goes through these rules.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, oid::ObjectId, Bson, Document};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::model::ai_disclosure::{BUSINESS_PLACEHOLDER, MAX_TEXT_CHARS, PREFERENCES_KEY};

/// `aiDisclosure` in `PATCH /api/me`. The disclosure is on unless turned
/// off here with `enabled: false`, which records when and by whom
/// (`disabledAt`, `disabledBy`); `enabled: true` turns it on again.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiDisclosurePatch {
    /// `false` turns the disclosure off (recorded with the time and the
    /// user); `true` turns it back on.
    pub enabled: Option<bool>,
    /// The wording, at most 300 characters, naming the business as
    /// `{business}` (filled in from the profile's business name);
    /// `null` restores the default wording.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub text: Option<Option<String>>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// `preferences` with `patch` applied to its `aiDisclosure`, by `user` at
/// `now`; a 422 naming the field for a wording that breaks the rules.
pub fn apply(
    preferences: Document,
    patch: &AiDisclosurePatch,
    user: ObjectId,
    now: DateTime<Utc>,
) -> Result<Document> {
    let mut preferences = preferences;
    let mut setting = preferences
        .get_document(PREFERENCES_KEY)
        .cloned()
        .unwrap_or_default();
    if let Some(text) = &patch.text {
        match text.as_deref().map(str::trim) {
            None | Some("") => {
                setting.remove("text");
            }
            Some(text) => {
                setting.insert("text", checked_text(text)?);
            }
        }
    }
    let was_off = setting.get_bool("enabled").ok() == Some(false);
    match patch.enabled {
        Some(false) if !was_off => {
            setting.insert("enabled", false);
            setting.insert("disabledAt", bson::DateTime::from_chrono(now));
            setting.insert("disabledBy", user);
        }
        Some(false) => {} // Already off: the first record stays.
        Some(true) => {
            setting.insert("enabled", true);
            setting.remove("disabledAt");
            setting.remove("disabledBy");
        }
        None => {
            if !matches!(setting.get("enabled"), Some(Bson::Boolean(_))) {
                setting.insert("enabled", true);
            }
        }
    }
    preferences.insert(PREFERENCES_KEY, setting);
    Ok(preferences)
}

/// 1 to 300 characters naming the business.
fn checked_text(text: &str) -> Result<String> {
    let field = "aiDisclosure.text";
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::validation(
            field,
            format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if !text.contains(BUSINESS_PLACEHOLDER) {
        return Err(Error::validation(
            field,
            format!("must name the business as {BUSINESS_PLACEHOLDER}: the call has to say who is calling"),
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn patch(json: serde_json::Value) -> AiDisclosurePatch {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn turning_it_off_records_when_and_who() {
        let user = ObjectId::new();
        let now: DateTime<Utc> = "2026-12-07T19:00:00Z".parse().unwrap();
        let off = apply(
            doc! { "theme": "dark" },
            &patch(serde_json::json!({"enabled": false})),
            user,
            now,
        )
        .unwrap();
        assert_eq!(off.get_str("theme").unwrap(), "dark");
        let setting = off.get_document(PREFERENCES_KEY).unwrap();
        assert!(!setting.get_bool("enabled").unwrap());
        assert_eq!(setting.get_object_id("disabledBy").unwrap(), user);
        assert_eq!(setting.get_datetime("disabledAt").unwrap().to_chrono(), now);
        // Again later: the first record stays.
        let later = apply(
            off.clone(),
            &patch(serde_json::json!({"enabled": false})),
            ObjectId::new(),
            now + chrono::Duration::hours(1),
        )
        .unwrap();
        assert_eq!(later, off);
        let on = apply(off, &patch(serde_json::json!({"enabled": true})), user, now).unwrap();
        let setting = on.get_document(PREFERENCES_KEY).unwrap();
        assert!(setting.get_bool("enabled").unwrap());
        assert!(setting.get("disabledAt").is_none() && setting.get("disabledBy").is_none());
    }

    #[test]
    fn the_wording_must_name_the_business() {
        let user = ObjectId::new();
        let now = Utc::now();
        let set = apply(
            doc! {},
            &patch(serde_json::json!({"text": " AI assistant for {business}. "})),
            user,
            now,
        )
        .unwrap();
        let setting = set.get_document(PREFERENCES_KEY).unwrap();
        assert_eq!(
            setting.get_str("text").unwrap(),
            "AI assistant for {business}."
        );
        assert!(setting.get_bool("enabled").unwrap());
        let cleared = apply(set, &patch(serde_json::json!({"text": null})), user, now).unwrap();
        assert!(cleared
            .get_document(PREFERENCES_KEY)
            .unwrap()
            .get("text")
            .is_none());
        for text in [
            "An AI assistant is calling.".to_string(),
            format!("{{business}}{}", "x".repeat(300)),
        ] {
            let error = apply(
                doc! {},
                &patch(serde_json::json!({"text": text})),
                user,
                now,
            )
            .unwrap_err();
            assert_eq!(error.status(), 422);
        }
        assert!(
            serde_json::from_value::<AiDisclosurePatch>(serde_json::json!({"enabled": "no"}))
                .is_err()
        );
        assert!(
            serde_json::from_value::<AiDisclosurePatch>(serde_json::json!({"off": true})).is_err()
        );
    }
}
