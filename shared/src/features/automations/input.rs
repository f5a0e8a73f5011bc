//! What a client may send to create or change an automation: the body of
//! `POST` and `PATCH`, and the limits its fields are held to.
//!
//! One body shape serves both: every field is optional in the JSON, `null`
//! clears the nullable ones (`description`, `fixedDate`, `referenceField`,
//! `aiInstructions`, `audioMessage`, `voiceAudioUrl`, `aiVoiceText`,
//! `callbackMaxDelayDays`, `callbackTimeOfDay`, `callbackOn`) and is refused for the
//! others. [`validate`](super::validate) turns a body into typed
//! [`AutomationChanges`](super::changes::AutomationChanges).

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_DAYS_OFFSET: i64 = 3650;
pub const MAX_CALLBACK_DELAY_MINUTES: i64 = 10_080;
pub const MAX_CALLBACK_DELAY_DAYS: i64 = 30;
pub const MAX_ATTEMPTS: i64 = 10;
pub const MAX_CONTACTS: usize = 10_000;
/// `timeOfDay` of a new automation that gives none.
pub const DEFAULT_TIME_OF_DAY: &str = "09:00";

/// How an automation's date is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimingMode {
    /// Everyone on `fixedDate`.
    OnDate,
    /// `daysOffset` days after each contact's reference date.
    After,
    /// `daysOffset` days before each contact's reference date.
    Before,
}

impl TimingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnDate => "on_date",
            Self::After => "after",
            Self::Before => "before",
        }
    }

    /// The mode a stored `timingMode` names, if any.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "on_date" => Some(Self::OnDate),
            "after" => Some(Self::After),
            "before" => Some(Self::Before),
            _ => None,
        }
    }
}

/// `POST /api/automations` and `PATCH /api/automations/{id}`. On create,
/// `name` and `timingMode` are required; `timeOfDay` defaults to `09:00`,
/// `timezone` to the user's (else `America/New_York`), `daysOffset` to 0
/// and `isActive` to true. On update only the fields present change.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationInput {
    /// 1 to 100 characters.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub is_active: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<TimingMode>)]
    pub timing_mode: Option<Option<TimingMode>>,
    /// 0 to 3650.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub days_offset: Option<Option<i64>>,
    /// `YYYY-MM-DD` or RFC 3339 (its own local day is taken); required
    /// for `on_date`, the fallback date otherwise.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub fixed_date: Option<Option<String>>,
    /// `HH:MM`, 24-hour clock, in `timezone`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub time_of_day: Option<Option<String>>,
    /// IANA zone such as `America/New_York`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    /// The contact field holding each contact's date, such as
    /// `metadata.purchaseDate` (letters, digits, `_` and `.`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub reference_field: Option<Option<String>>,
    /// Ids of the user's contacts.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub contacts: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub ai_instructions: Option<Option<String>>,
    /// Id of one of the user's recordings.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub audio_message: Option<Option<String>>,
    /// `https://` URL of a recorded message.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub voice_audio_url: Option<Option<String>>,
    #[serde(rename = "useAIVoice", default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub use_ai_voice: Option<Option<bool>>,
    #[serde(rename = "aiVoiceText", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub ai_voice_text: Option<Option<String>>,
    #[serde(rename = "useAIResponse", default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub use_ai_response: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub enable_callback: Option<Option<bool>>,
    /// 1 to 10080 (a week).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub callback_delay_minutes: Option<Option<i64>>,
    /// 0 to 30.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, nullable)]
    pub callback_max_delay_days: Option<Option<i64>>,
    /// `HH:MM`: callbacks wait for this local time.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub callback_time_of_day: Option<Option<String>>,
    /// The outcomes that call back: any of `no-answer`, `busy`, `failed`,
    /// `voicemail` (a machine answered, no message left) and
    /// `voicemail-left` (the message was played after the beep). `null`
    /// restores the default: all but `voicemail-left`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub callback_on: Option<Option<Vec<String>>>,
    /// Attempts per call, callbacks included: 1 to 10.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub retry_count: Option<Option<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_told_from_absent() {
        let input: AutomationInput =
            serde_json::from_str(r#"{"fixedDate":null,"name":"x"}"#).unwrap();
        assert_eq!(input.fixed_date, Some(None));
        assert_eq!(input.description, None);
    }
}
