//! `users.preferences.aiDisclosure`: what an AI call says first
//! (docs/compliance.md, section 4).
//!
//! Stored as `{enabled, text?, disabledAt?, disabledBy?}`. Absent, or
//! anything but `enabled: false`, means the disclosure is on with the
//! default wording: only an explicit `false` (written by `PATCH /api/me`
//! with the time and the user) turns it off.

use mongodb::bson::Document;

use super::User;

/// The `calls.aiConfig` key holding the words an AI call opens with.
pub const AI_CONFIG_KEY: &str = "disclosure";
/// The key under `preferences`.
pub const PREFERENCES_KEY: &str = "aiDisclosure";
/// Where the business name goes in the wording.
pub const BUSINESS_PLACEHOLDER: &str = "{business}";
/// The wording when the owner set none.
pub const DEFAULT_TEXT: &str =
    "Hello, this is an automated assistant using an AI voice, calling on behalf of {business}.";
/// Longest wording an owner may set, in characters.
pub const MAX_TEXT_CHARS: usize = 300;
/// The business name when the profile and the account give none.
pub const UNNAMED_BUSINESS: &str = "our business";

/// The stored setting, read leniently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiDisclosure {
    pub enabled: bool,
    /// The owner's wording, with `{business}` not yet filled in.
    pub text: Option<String>,
}

impl AiDisclosure {
    /// The setting in `preferences`: on, default wording, when absent.
    pub fn from_preferences(preferences: Option<&Document>) -> Self {
        let stored = preferences.and_then(|p| p.get_document(PREFERENCES_KEY).ok());
        Self {
            enabled: stored.and_then(|d| d.get_bool("enabled").ok()) != Some(false),
            text: stored
                .and_then(|d| d.get_str("text").ok())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        }
    }

    /// The words to say for `business`, or `None` when turned off.
    pub fn words(&self, business: &str) -> Option<String> {
        self.enabled.then(|| {
            self.text
                .as_deref()
                .unwrap_or(DEFAULT_TEXT)
                .replace(BUSINESS_PLACEHOLDER, business)
        })
    }
}

impl User {
    /// The business the calls are made for: the profile's business name,
    /// else the account's name.
    pub fn business_name(&self) -> Option<String> {
        self.profile
            .as_ref()
            .and_then(|p| {
                ["businessName", "company", "companyName"]
                    .iter()
                    .find_map(|key| p.get_str(key).ok())
            })
            .or(self.name.as_deref())
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_string)
    }

    /// What this user's AI calls open with, `None` when the owner turned
    /// the disclosure off.
    pub fn ai_disclosure(&self) -> Option<String> {
        let business = self
            .business_name()
            .unwrap_or_else(|| UNNAMED_BUSINESS.to_string());
        AiDisclosure::from_preferences(self.preferences.as_ref()).words(&business)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, oid::ObjectId};

    fn user(preferences: Option<Document>, profile: Option<Document>) -> User {
        let mut fields = doc! { "_id": ObjectId::new(), "name": "Dana Pebble" };
        if let Some(p) = preferences {
            fields.insert("preferences", p);
        }
        if let Some(p) = profile {
            fields.insert("profile", p);
        }
        mongodb::bson::from_document(fields).unwrap()
    }

    #[test]
    fn on_by_default_with_the_business_name() {
        let owner = user(None, Some(doc! { "businessName": "Maple Motors" }));
        let words = owner.ai_disclosure().unwrap();
        assert!(words.contains("Maple Motors"), "{words}");
        assert!(words.contains("automated assistant"), "{words}");
        // Without a business name, the account's name.
        assert!(user(None, None)
            .ai_disclosure()
            .unwrap()
            .contains("Dana Pebble"));
    }

    #[test]
    fn only_an_explicit_false_turns_it_off() {
        for stored in [
            doc! {},
            doc! { "aiDisclosure": {} },
            doc! { "aiDisclosure": { "enabled": "no" } },
            doc! { "aiDisclosure": { "enabled": 0 } },
            doc! { "aiDisclosure": "off" },
        ] {
            assert!(
                user(Some(stored.clone()), None).ai_disclosure().is_some(),
                "{stored}"
            );
        }
        let off = doc! { "aiDisclosure": { "enabled": false, "disabledAt": mongodb::bson::DateTime::now() } };
        assert_eq!(user(Some(off), None).ai_disclosure(), None);
    }

    #[test]
    fn the_owners_wording_is_filled_in() {
        let custom = doc! { "aiDisclosure": { "enabled": true, "text": "Hi, {business}'s AI assistant here." } };
        let owner = user(Some(custom), Some(doc! { "company": "Fern Dental" }));
        assert_eq!(
            owner.ai_disclosure().unwrap(),
            "Hi, Fern Dental's AI assistant here."
        );
    }
}
