//! What a client may send to create or change an automation, and the rules
//! checked before anything is written.
//!
//! One body shape serves `POST` and `PATCH`: every field is optional in the
//! JSON, `null` clears the nullable ones (`description`, `fixedDate`,
//! `referenceField`, `aiInstructions`, `audioMessage`, `voiceAudioUrl`,
//! `aiVoiceText`, `callbackMaxDelayDays`, `callbackTimeOfDay`) and is
//! refused for the others. [`changes`] turns a body into the `$set` (and
//! `$unset`) of the second-generation fields, naming the field of the first
//! rule broken.

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::http::extract::object_id;
use crate::infra::db::Db;
use crate::model::{parse_clock, Automation, Contact, Record, Recording, Timing, Trigger};
use crate::schedule::at_local;

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

    fn parse(text: &str) -> Option<Self> {
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

/// What a valid body changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub set: Document,
    pub unset: Document,
    /// When, whom or from which date it calls changed: the evaluator must
    /// look again.
    pub reschedule: bool,
    /// The contact ids, when given.
    pub contacts: Option<Vec<ObjectId>>,
}

/// The value of a field that may not be `null`.
fn required<T>(field: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::validation(field, format!("{field} must not be null")))
}

fn text(field: &str, raw: &str, min: usize, max: usize) -> Result<String> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        let message = if min == 0 {
            format!("{field} must be at most {max} characters")
        } else {
            format!("{field} must have {min} to {max} characters")
        };
        return Err(Error::validation(field, message));
    }
    Ok(trimmed.to_string())
}

fn in_range(field: &str, value: i64, min: i64, max: i64) -> Result<i32> {
    if value < min || value > max {
        return Err(Error::validation(
            field,
            format!("{field} must be between {min} and {max}"),
        ));
    }
    i32::try_from(value).map_err(|_| Error::validation(field, "out of range"))
}

/// `HH:MM` on a 24-hour clock, written back as `HH:MM`.
pub fn clock(field: &str, raw: &str) -> Result<NaiveTime> {
    let trimmed = raw.trim();
    let shaped = trimmed.len() == 5 && trimmed.as_bytes().get(2) == Some(&b':');
    match parse_clock(trimmed) {
        Some(time) if shaped => Ok(time),
        _ => Err(Error::validation(
            field,
            format!("{field} must be a time HH:MM (24-hour clock)"),
        )),
    }
}

/// A known IANA zone.
pub fn timezone(field: &str, raw: &str) -> Result<Tz> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| Error::validation(field, format!("unknown IANA time zone {:?}", raw.trim())))
}

/// `YYYY-MM-DD`, or RFC 3339 read as its own local day.
pub fn date(field: &str, raw: &str) -> Result<NaiveDate> {
    let trimmed = raw.trim();
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(trimmed)
                .ok()
                .map(|at| at.date_naive())
        })
        .ok_or_else(|| {
            Error::validation(
                field,
                format!("{field} must be a date YYYY-MM-DD or an RFC 3339 date-time"),
            )
        })
}

/// The day as production stores `fixedDate`: local midnight in `zone`
/// with its offset, `"2025-09-17T00:00:00.000-04:00"`.
pub fn fixed_date_text(day: NaiveDate, zone: Tz) -> String {
    at_local(day, NaiveTime::MIN, zone)
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// `metadata.purchaseDate`: letters, digits, `_` and `.`, no empty part.
pub fn reference_field(raw: &str) -> Result<String> {
    let field = raw.trim();
    let valid = !field.is_empty()
        && field.len() <= 200
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && field.split('.').all(|part| !part.is_empty());
    if valid {
        Ok(field.to_string())
    } else {
        Err(Error::validation(
            "referenceField",
            "referenceField must be a field path such as metadata.purchaseDate",
        ))
    }
}

fn url(raw: &str) -> Result<String> {
    let url = text("voiceAudioUrl", raw, 0, MAX_URL_CHARS)?;
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if url.is_empty() || (scheme_ok && !url.chars().any(char::is_whitespace)) {
        Ok(url)
    } else {
        Err(Error::validation(
            "voiceAudioUrl",
            "voiceAudioUrl must be an http(s) URL",
        ))
    }
}

/// Nullable text: `null` or blank stores `null`.
fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Bson> {
    match value {
        None => Ok(Bson::Null),
        Some(raw) => {
            let text = text(field, &raw, 0, max)?;
            Ok(if text.is_empty() {
                Bson::Null
            } else {
                Bson::String(text)
            })
        }
    }
}

/// The second-generation timing fields as they are, or as a first
/// generation document means them.
#[derive(Clone, Debug, Default)]
struct TimingFields {
    mode: Option<TimingMode>,
    days_offset: i64,
    fixed_date: Option<NaiveDate>,
    time_of_day: Option<NaiveTime>,
    timezone: Option<Tz>,
}

impl TimingFields {
    fn from_timing(timing: &Timing) -> Self {
        let (mode, days_offset, fixed_date) = match timing.trigger {
            Trigger::OnDate(day) => (TimingMode::OnDate, 0, Some(day)),
            Trigger::Relative {
                days,
                fallback_date,
            } if days < 0 => (TimingMode::Before, -days, fallback_date),
            Trigger::Relative {
                days,
                fallback_date,
            } => (TimingMode::After, days, fallback_date),
        };
        Self {
            mode: Some(mode),
            days_offset,
            fixed_date,
            time_of_day: Some(timing.time_of_day),
            timezone: Some(timing.timezone),
        }
    }

    fn stored(automation: &Automation) -> Self {
        let zone = automation
            .timezone
            .as_deref()
            .and_then(|zone| zone.trim().parse::<Tz>().ok());
        Self {
            mode: automation
                .timing_mode
                .as_deref()
                .and_then(TimingMode::parse),
            days_offset: automation.days_offset.map_or(0, |n| n.as_i64()),
            fixed_date: automation
                .fixed_date
                .as_ref()
                .and_then(|date| date.local_date(zone.unwrap_or(chrono_tz::America::New_York))),
            time_of_day: automation.time_of_day.as_deref().and_then(parse_clock),
            timezone: zone,
        }
    }
}

/// Checks `input` against every rule and returns what to write. `existing`
/// is the stored automation on update, `None` on create; `default_zone`
/// is the zone of a new automation that names none.
///
/// On a first-generation document (`triggerType`, `onDate`, `onTime`), a
/// change of `timingMode`, `daysOffset`, `fixedDate` or `timeOfDay` writes
/// the complete second-generation timing (its current meaning with the
/// change applied) and `$unset`s `triggerType`, so
/// [`Automation::timing`] reads the new fields. The legacy fields
/// themselves are kept as stored.
pub async fn changes(
    db: &Db,
    user_id: ObjectId,
    input: AutomationInput,
    existing: Option<&Automation>,
    default_zone: Tz,
) -> Result<Changes> {
    let creating = existing.is_none();
    let mut set = Document::new();
    let mut unset = Document::new();
    let mut reschedule = creating;

    match input.name {
        Some(name) => {
            let name = required("name", name)?;
            set.insert("name", text("name", &name, 1, MAX_NAME_CHARS)?);
        }
        None if creating => return Err(Error::validation("name", "name is required")),
        None => {}
    }
    if let Some(description) = input.description {
        let description = description.unwrap_or_default();
        set.insert(
            "description",
            text("description", &description, 0, MAX_DESCRIPTION_CHARS)?,
        );
    } else if creating {
        set.insert("description", "");
    }
    if let Some(active) = input.is_active {
        set.insert("isActive", required("isActive", active)?);
    } else if creating {
        set.insert("isActive", true);
    }

    // Timing: each given value checked, then the whole merged.
    let mode = input
        .timing_mode
        .map(|mode| required("timingMode", mode))
        .transpose()?;
    if creating && mode.is_none() {
        return Err(Error::validation("timingMode", "timingMode is required"));
    }
    let days_offset = input
        .days_offset
        .map(|days| {
            let days = required("daysOffset", days)?;
            in_range("daysOffset", days, 0, MAX_DAYS_OFFSET).map(i64::from)
        })
        .transpose()?;
    let time_of_day = input
        .time_of_day
        .map(|time| clock("timeOfDay", &required("timeOfDay", time)?))
        .transpose()?;
    let zone = input
        .timezone
        .map(|zone| timezone("timezone", &required("timezone", zone)?))
        .transpose()?;
    let fixed_date = input
        .fixed_date
        .map(|day| day.map(|day| date("fixedDate", &day)).transpose())
        .transpose()?;

    let first_generation = existing.is_some_and(Automation::is_first_generation);
    let base = match existing {
        None => TimingFields {
            time_of_day: parse_clock(DEFAULT_TIME_OF_DAY),
            timezone: Some(default_zone),
            ..TimingFields::default()
        },
        Some(automation) if first_generation => automation
            .timing()
            .map(|timing| TimingFields::from_timing(&timing))
            .unwrap_or_else(|_| TimingFields::stored(automation)),
        Some(automation) => TimingFields::stored(automation),
    };
    let merged = TimingFields {
        mode: mode.or(base.mode),
        days_offset: days_offset.unwrap_or(base.days_offset),
        fixed_date: fixed_date.unwrap_or(base.fixed_date),
        time_of_day: time_of_day.or(base.time_of_day),
        timezone: zone.or(base.timezone),
    };
    let effective_zone = merged.timezone.unwrap_or(default_zone);
    let timing_given =
        mode.is_some() || days_offset.is_some() || fixed_date.is_some() || time_of_day.is_some();
    if timing_given || creating {
        if merged.mode == Some(TimingMode::OnDate) && merged.fixed_date.is_none() {
            return Err(Error::validation(
                "fixedDate",
                "fixedDate is required when timingMode is on_date",
            ));
        }
        if merged.time_of_day.is_none() {
            return Err(Error::validation("timeOfDay", "timeOfDay is required"));
        }
    }
    let fixed_date_bson = |day: Option<NaiveDate>| {
        day.map_or(Bson::Null, |day| {
            Bson::String(fixed_date_text(day, effective_zone))
        })
    };
    if creating || (first_generation && timing_given) {
        // The complete second-generation timing.
        if let Some(mode) = merged.mode {
            set.insert("timingMode", mode.as_str());
        }
        set.insert(
            "daysOffset",
            in_range("daysOffset", merged.days_offset, 0, MAX_DAYS_OFFSET)?,
        );
        set.insert("fixedDate", fixed_date_bson(merged.fixed_date));
        if let Some(time) = merged.time_of_day {
            set.insert("timeOfDay", time.format("%H:%M").to_string());
        }
        set.insert("timezone", effective_zone.name());
        if first_generation {
            unset.insert("triggerType", "");
        }
    } else {
        if let Some(mode) = mode {
            set.insert("timingMode", mode.as_str());
        }
        if let Some(days) = days_offset {
            set.insert(
                "daysOffset",
                in_range("daysOffset", days, 0, MAX_DAYS_OFFSET)?,
            );
        }
        if let Some(day) = fixed_date {
            set.insert("fixedDate", fixed_date_bson(day));
        }
        if let Some(time) = time_of_day {
            set.insert("timeOfDay", time.format("%H:%M").to_string());
        }
        if let Some(zone) = zone {
            set.insert("timezone", zone.name());
        }
    }
    reschedule |= timing_given || zone.is_some();

    if let Some(field) = input.reference_field {
        let value = match field.as_deref().map(str::trim) {
            None | Some("") => Bson::Null,
            Some(raw) => Bson::String(reference_field(raw)?),
        };
        set.insert("referenceField", value);
        reschedule = true;
    }

    if let Some(instructions) = input.ai_instructions {
        set.insert(
            "aiInstructions",
            optional_text("aiInstructions", instructions, MAX_TEXT_CHARS)?,
        );
    }
    if let Some(address) = input.voice_audio_url {
        let value = match address {
            None => Bson::Null,
            Some(raw) => {
                let url = url(&raw)?;
                if url.is_empty() {
                    Bson::Null
                } else {
                    Bson::String(url)
                }
            }
        };
        set.insert("voiceAudioUrl", value);
    }
    if let Some(flag) = input.use_ai_voice {
        set.insert("useAIVoice", required("useAIVoice", flag)?);
    }
    if let Some(voice_text) = input.ai_voice_text {
        set.insert(
            "aiVoiceText",
            optional_text("aiVoiceText", voice_text, MAX_TEXT_CHARS)?,
        );
    }
    if let Some(flag) = input.use_ai_response {
        set.insert("useAIResponse", required("useAIResponse", flag)?);
    }
    if let Some(flag) = input.enable_callback {
        set.insert("enableCallback", required("enableCallback", flag)?);
    }
    if let Some(minutes) = input.callback_delay_minutes {
        let minutes = required("callbackDelayMinutes", minutes)?;
        set.insert(
            "callbackDelayMinutes",
            in_range(
                "callbackDelayMinutes",
                minutes,
                1,
                MAX_CALLBACK_DELAY_MINUTES,
            )?,
        );
    }
    if let Some(days) = input.callback_max_delay_days {
        let value = match days {
            None => Bson::Null,
            Some(days) => Bson::Int32(in_range(
                "callbackMaxDelayDays",
                days,
                0,
                MAX_CALLBACK_DELAY_DAYS,
            )?),
        };
        set.insert("callbackMaxDelayDays", value);
    }
    if let Some(time) = input.callback_time_of_day {
        let value = match time.as_deref().map(str::trim) {
            None | Some("") => Bson::Null,
            Some(raw) => Bson::String(clock("callbackTimeOfDay", raw)?.format("%H:%M").to_string()),
        };
        set.insert("callbackTimeOfDay", value);
    }
    if let Some(attempts) = input.retry_count {
        let attempts = required("retryCount", attempts)?;
        set.insert(
            "retryCount",
            in_range("retryCount", attempts, 1, MAX_ATTEMPTS)?,
        );
    }

    // References: malformed ids first (400), then ownership (422).
    let contacts = match input.contacts {
        Some(ids) => {
            let ids = required("contacts", ids)?;
            if ids.len() > MAX_CONTACTS {
                return Err(Error::validation(
                    "contacts",
                    format!("at most {MAX_CONTACTS} contacts"),
                ));
            }
            let ids = ids
                .iter()
                .enumerate()
                .map(|(i, id)| object_id(&format!("contacts[{i}]"), id.trim()))
                .collect::<Result<Vec<_>>>()?;
            Some(ids)
        }
        None if creating => Some(Vec::new()),
        None => None,
    };
    let audio_message = input
        .audio_message
        .map(|id| {
            id.map(|id| id.trim().to_string())
                .filter(|id| !id.is_empty())
                .map(|id| object_id("audioMessage", &id))
                .transpose()
        })
        .transpose()?;

    let contacts = match contacts {
        Some(ids) => {
            let ids = owned_contacts(db, user_id, ids).await?;
            set.insert("contacts", ids.clone());
            set.insert(
                "contactsCount",
                i32::try_from(ids.len()).unwrap_or(i32::MAX),
            );
            reschedule = true;
            Some(ids)
        }
        None => None,
    };
    if let Some(recording) = audio_message {
        let value = match recording {
            None => Bson::Null,
            Some(id) => {
                let found = db
                    .raw(Recording::COLLECTION)
                    .find_one(doc! { "_id": id, "userId": user_id })
                    .projection(doc! { "_id": 1 })
                    .await?;
                if found.is_none() {
                    return Err(Error::validation("audioMessage", "no such recording"));
                }
                // Production stores the reference as hex text.
                Bson::String(id.to_hex())
            }
        };
        set.insert("audioMessage", value);
    }

    Ok(Changes {
        set,
        unset,
        reschedule,
        contacts,
    })
}

/// The ids without repeats, once each is one of the user's contacts;
/// otherwise 422 naming the first foreign or unknown `contacts[i]`.
async fn owned_contacts(db: &Db, user_id: ObjectId, ids: Vec<ObjectId>) -> Result<Vec<ObjectId>> {
    if ids.is_empty() {
        return Ok(ids);
    }
    let found: Vec<ObjectId> = db
        .raw(Contact::COLLECTION)
        .find(doc! { "_id": { "$in": ids.clone() }, "userId": user_id })
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect::<Vec<Document>>()
        .await?
        .iter()
        .filter_map(|contact| contact.get_object_id("_id").ok())
        .collect();
    let mut unique = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        if !found.contains(&id) {
            return Err(Error::validation(
                format!("contacts[{i}]"),
                "no such contact",
            ));
        }
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_dates_carry_the_zone_offset() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 17).unwrap();
        assert_eq!(
            fixed_date_text(day, chrono_tz::America::New_York),
            "2025-09-17T00:00:00.000-04:00"
        );
        assert_eq!(
            fixed_date_text(day, chrono_tz::UTC),
            "2025-09-17T00:00:00.000+00:00"
        );
    }

    #[test]
    fn dates_parse_in_both_forms() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 17);
        assert_eq!(date("fixedDate", "2025-09-17").ok(), day);
        assert_eq!(date("fixedDate", "2025-09-17T00:00:00.000-04:00").ok(), day);
        assert!(date("fixedDate", "17/09/2025").is_err());
    }

    #[test]
    fn clocks_are_hh_mm() {
        assert!(clock("timeOfDay", "09:30").is_ok());
        for bad in ["9:30", "25:00", "09:30:00", "noon"] {
            assert!(clock("timeOfDay", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reference_fields() {
        assert!(reference_field("metadata.purchaseDate").is_ok());
        for bad in ["$where", "a..b", ".a", "a b", "metadata.$x"] {
            assert!(reference_field(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn null_is_told_from_absent() {
        let input: AutomationInput =
            serde_json::from_str(r#"{"fixedDate":null,"name":"x"}"#).unwrap();
        assert_eq!(input.fixed_date, Some(None));
        assert_eq!(input.description, None);
    }
}
