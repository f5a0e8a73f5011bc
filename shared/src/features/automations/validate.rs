//! The validation step: an [`AutomationInput`] checked against every rule
//! becomes typed [`AutomationChanges`], or the error naming the field of
//! the first rule broken. Nothing is written before it passes.
//!
//! Fields are checked in the order of the body's documentation; malformed
//! ids are refused (400) before any is looked up, then the contacts and
//! the recording must be the user's (422).

use chrono::NaiveTime;
use chrono_tz::Tz;
use mongodb::bson::oid::ObjectId;

use super::changes::AutomationChanges;
use super::input::{
    AutomationInput, MAX_ATTEMPTS, MAX_CALLBACK_DELAY_DAYS, MAX_CALLBACK_DELAY_MINUTES,
    MAX_CONTACTS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS,
};
use super::repo;
use super::rules::{clock, in_range, optional_text, reference_field, required, text, url};
use super::timing::{self, SentTiming};
use crate::error::{Error, Result};
use crate::http::extract::object_id;
use crate::infra::db::Db;
use crate::model::{Automation, CALLBACK_OUTCOMES};

/// Checks `input` against every rule and returns what it changes.
/// `existing` is the stored automation on update, `None` on create;
/// `default_zone` is the zone of a new automation that names none.
pub async fn validate(
    db: &Db,
    user_id: ObjectId,
    input: AutomationInput,
    existing: Option<&Automation>,
    default_zone: Tz,
) -> Result<AutomationChanges> {
    let mut changes = fields(input, existing, default_zone)?;
    if let Some(ids) = changes.contacts.take() {
        changes.contacts = Some(owned_contacts(db, user_id, ids).await?);
    }
    if let Some(Some(recording)) = changes.audio_message {
        if !repo::owns_recording(db, user_id, recording).await? {
            return Err(Error::validation("audioMessage", "no such recording"));
        }
    }
    Ok(changes)
}

/// Every rule that needs no lookup, field by field in order (a struct
/// expression evaluates its fields in the order written).
fn fields(
    input: AutomationInput,
    existing: Option<&Automation>,
    default_zone: Tz,
) -> Result<AutomationChanges> {
    let creating = existing.is_none();
    let sent_timing = SentTiming {
        mode: input.timing_mode,
        days_offset: input.days_offset,
        fixed_date: input.fixed_date,
        time_of_day: input.time_of_day,
        timezone: input.timezone,
    };
    Ok(AutomationChanges {
        name: name(input.name, creating)?,
        description: description(input.description, creating)?,
        is_active: flag("isActive", input.is_active)?.or(creating.then_some(true)),
        timing: timing::change(sent_timing, existing, default_zone)?,
        reference_field: input.reference_field.map(reference).transpose()?,
        ai_instructions: input
            .ai_instructions
            .map(|value| optional_text("aiInstructions", value, MAX_TEXT_CHARS))
            .transpose()?,
        voice_audio_url: input.voice_audio_url.map(voice_audio_url).transpose()?,
        use_ai_voice: flag("useAIVoice", input.use_ai_voice)?,
        ai_voice_text: input
            .ai_voice_text
            .map(|value| optional_text("aiVoiceText", value, MAX_TEXT_CHARS))
            .transpose()?,
        use_ai_response: flag("useAIResponse", input.use_ai_response)?,
        enable_callback: flag("enableCallback", input.enable_callback)?,
        callback_delay_minutes: input
            .callback_delay_minutes
            .map(callback_delay_minutes)
            .transpose()?,
        callback_max_delay_days: input
            .callback_max_delay_days
            .map(callback_max_delay_days)
            .transpose()?,
        callback_time_of_day: input
            .callback_time_of_day
            .map(callback_time_of_day)
            .transpose()?,
        callback_on: input.callback_on.map(callback_on).transpose()?,
        retry_count: input.retry_count.map(retry_count).transpose()?,
        contacts: contact_ids(input.contacts, creating)?,
        audio_message: input.audio_message.map(recording_id).transpose()?,
    })
}

/// 1 to 100 characters, required on create.
fn name(name: Option<Option<String>>, creating: bool) -> Result<Option<String>> {
    match name {
        Some(name) => {
            let name = required("name", name)?;
            text("name", &name, 1, MAX_NAME_CHARS).map(Some)
        }
        None if creating => Err(Error::validation("name", "name is required")),
        None => Ok(None),
    }
}

/// Up to 1000 characters; `null` is empty, as is a new automation's.
fn description(description: Option<Option<String>>, creating: bool) -> Result<Option<String>> {
    match description {
        Some(description) => text(
            "description",
            &description.unwrap_or_default(),
            0,
            MAX_DESCRIPTION_CHARS,
        )
        .map(Some),
        None => Ok(creating.then(String::new)),
    }
}

/// A flag that may not be `null`.
fn flag(field: &str, value: Option<Option<bool>>) -> Result<Option<bool>> {
    value.map(|flag| required(field, flag)).transpose()
}

/// A field path, or none when `null` or blank.
fn reference(field: Option<String>) -> Result<Option<String>> {
    match field.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => reference_field(raw).map(Some),
    }
}

/// An http(s) URL, or none when `null` or blank.
fn voice_audio_url(address: Option<String>) -> Result<Option<String>> {
    address.map_or(Ok(None), |raw| url(&raw))
}

/// 1 minute to a week.
fn callback_delay_minutes(minutes: Option<i64>) -> Result<i32> {
    let minutes = required("callbackDelayMinutes", minutes)?;
    in_range(
        "callbackDelayMinutes",
        minutes,
        1,
        MAX_CALLBACK_DELAY_MINUTES,
    )
}

/// 0 to 30 days, or none.
fn callback_max_delay_days(days: Option<i64>) -> Result<Option<i32>> {
    days.map(|days| in_range("callbackMaxDelayDays", days, 0, MAX_CALLBACK_DELAY_DAYS))
        .transpose()
}

/// `HH:MM`, or none when `null` or blank.
fn callback_time_of_day(time: Option<String>) -> Result<Option<NaiveTime>> {
    match time.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => clock("callbackTimeOfDay", raw).map(Some),
    }
}

/// Outcome words of [`CALLBACK_OUTCOMES`] (each 422 naming
/// `callbackOn[i]` if not), without repeats; `null` clears.
fn callback_on(words: Option<Vec<String>>) -> Result<Option<Vec<String>>> {
    let Some(words) = words else {
        return Ok(None);
    };
    let mut unique: Vec<String> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let word = word.trim();
        if !CALLBACK_OUTCOMES.contains(&word) {
            return Err(Error::validation(
                format!("callbackOn[{i}]"),
                format!("must be one of {}", CALLBACK_OUTCOMES.join(", ")),
            ));
        }
        if !unique.iter().any(|w| w == word) {
            unique.push(word.to_string());
        }
    }
    Ok(Some(unique))
}

/// 1 to 10 attempts.
fn retry_count(attempts: Option<i64>) -> Result<i32> {
    let attempts = required("retryCount", attempts)?;
    in_range("retryCount", attempts, 1, MAX_ATTEMPTS)
}

/// At most 10 000 well-formed ids (each 400 naming `contacts[i]` if not);
/// none on create when left out.
fn contact_ids(ids: Option<Option<Vec<String>>>, creating: bool) -> Result<Option<Vec<ObjectId>>> {
    let ids = match ids {
        Some(ids) => required("contacts", ids)?,
        None if creating => return Ok(Some(Vec::new())),
        None => return Ok(None),
    };
    if ids.len() > MAX_CONTACTS {
        return Err(Error::validation(
            "contacts",
            format!("at most {MAX_CONTACTS} contacts"),
        ));
    }
    ids.iter()
        .enumerate()
        .map(|(i, id)| object_id(&format!("contacts[{i}]"), id.trim()))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// A well-formed recording id, or none when `null` or blank.
fn recording_id(id: Option<String>) -> Result<Option<ObjectId>> {
    id.map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .map(|id| object_id("audioMessage", &id))
        .transpose()
}

/// The ids without repeats, once each is one of the user's contacts;
/// otherwise 422 naming the first foreign or unknown `contacts[i]`.
async fn owned_contacts(db: &Db, user_id: ObjectId, ids: Vec<ObjectId>) -> Result<Vec<ObjectId>> {
    let found = repo::owned_contacts(db, user_id, &ids).await?;
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
