//! The JSON shape of an automation the API answers with: what it means
//! (`timing`, `callback`, `callMode`), whichever generation wrote it, and
//! the second-generation fields as stored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{Automation, IdRef, LooseDate, Number, Timing, Trigger};

/// The outcomes that call back when an automation sets no `callbackOn`.
pub const DEFAULT_CALLBACK_ON: [&str; 4] = ["no-answer", "busy", "failed", "voicemail"];

/// When it calls, in one meaning.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimingView {
    /// `on_date`, `after` or `before`.
    pub mode: String,
    /// Days from each contact's reference date (0 for `on_date`).
    pub days_offset: i64,
    /// The date (`on_date`) or the fallback date (relative), `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `HH:MM`.
    pub time_of_day: String,
    pub timezone: String,
    pub reference_field: Option<String>,
}

/// What happens when a call goes unanswered.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackView {
    pub enabled: bool,
    pub delay_minutes: Option<i64>,
    pub time_of_day: Option<String>,
    pub max_delay_days: Option<i64>,
    /// The outcomes that call back (`callbackOn`, else the default: all
    /// but `voicemail-left`).
    pub on: Vec<String>,
}

/// An automation as the frontend reads it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub is_active: bool,
    /// `null` when the stored timing cannot be read (see `timingError`).
    pub timing: Option<TimingView>,
    pub timing_error: Option<String>,
    pub callback: CallbackView,
    /// Contact ids as hex.
    pub contacts: Vec<String>,
    pub contacts_count: i64,
    pub pending_count: i64,
    pub completed_count: i64,
    /// Recording id as hex.
    pub audio_message: Option<String>,
    pub voice_audio_url: Option<String>,
    pub ai_instructions: Option<String>,
    #[serde(rename = "useAIVoice")]
    pub use_ai_voice: Option<bool>,
    #[serde(rename = "aiVoiceText")]
    pub ai_voice_text: Option<String>,
    #[serde(rename = "useAIResponse")]
    pub use_ai_response: Option<bool>,
    /// Attempts per call, when set.
    pub retry_count: Option<i64>,
    /// `ai-only`, `recording` or `recording-ai`.
    pub call_mode: String,
    /// As stored (second generation).
    pub timing_mode: Option<String>,
    pub days_offset: Option<f64>,
    pub fixed_date: Option<String>,
    pub time_of_day: Option<String>,
    pub timezone: Option<String>,
    pub reference_field: Option<String>,
    pub enable_callback: Option<bool>,
    pub callback_delay_minutes: Option<f64>,
    pub callback_max_delay_days: Option<f64>,
    pub callback_time_of_day: Option<String>,
    /// As stored; `null` means the default.
    pub callback_on: Option<Vec<String>>,
    pub next_run: Option<DateTime<Utc>>,
    pub last_run: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn non_blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

fn whole(number: Option<Number>) -> i64 {
    number.map_or(0, Number::as_i64)
}

impl From<&Automation> for AutomationView {
    fn from(automation: &Automation) -> Self {
        let timing = automation.timing();
        Self {
            id: automation.id.to_hex(),
            name: automation.name.clone(),
            description: automation.description.clone().unwrap_or_default(),
            is_active: automation.is_active,
            timing: timing
                .as_ref()
                .ok()
                .map(|timing| TimingView::new(timing, automation)),
            callback: CallbackView::new(timing.as_ref().ok(), automation),
            timing_error: timing.err().map(|error| error.to_string()),
            contacts: contact_texts(automation),
            contacts_count: automation.contacts_count.map_or_else(
                || i64::try_from(automation.contact_ids().len()).unwrap_or(i64::MAX),
                Number::as_i64,
            ),
            pending_count: whole(automation.pending_count),
            completed_count: whole(automation.completed_count),
            audio_message: automation
                .audio_message
                .as_ref()
                .and_then(IdRef::object_id)
                .map(|id| id.to_hex()),
            voice_audio_url: non_blank(&automation.voice_audio_url),
            ai_instructions: non_blank(&automation.ai_instructions),
            use_ai_voice: automation.use_ai_voice,
            ai_voice_text: non_blank(&automation.ai_voice_text),
            use_ai_response: automation.use_ai_response,
            retry_count: automation.retry_count.map(Number::as_i64),
            call_mode: automation.call_mode().to_string(),
            timing_mode: automation.timing_mode.clone(),
            days_offset: automation.days_offset.map(Number::as_f64),
            fixed_date: automation.fixed_date.as_ref().map(stored_date),
            time_of_day: automation.time_of_day.clone(),
            timezone: automation.timezone.clone(),
            reference_field: automation.reference_field.clone(),
            enable_callback: automation.enable_callback,
            callback_delay_minutes: automation.callback_delay_minutes.map(Number::as_f64),
            callback_max_delay_days: automation.callback_max_delay_days.map(Number::as_f64),
            callback_time_of_day: automation.callback_time_of_day.clone(),
            callback_on: automation.callback_on.clone(),
            next_run: automation.next_run.map(|at| at.to_chrono()),
            last_run: automation.last_run.map(|at| at.to_chrono()),
            created_at: automation.created_at.map(|at| at.to_chrono()),
            updated_at: automation.updated_at.map(|at| at.to_chrono()),
        }
    }
}

impl TimingView {
    /// `timing` (read from either generation) in one meaning.
    fn new(timing: &Timing, automation: &Automation) -> Self {
        let (mode, days_offset, date) = match timing.trigger {
            Trigger::OnDate(day) => ("on_date", 0, Some(day)),
            Trigger::Relative {
                days,
                fallback_date,
            } if days < 0 => ("before", -days, fallback_date),
            Trigger::Relative {
                days,
                fallback_date,
            } => ("after", days, fallback_date),
        };
        Self {
            mode: mode.to_string(),
            days_offset,
            date: date.map(|day| day.format("%Y-%m-%d").to_string()),
            time_of_day: timing.time_of_day.format("%H:%M").to_string(),
            timezone: timing.timezone.name().to_string(),
            reference_field: non_blank(&automation.reference_field),
        }
    }
}

impl CallbackView {
    /// Whether callbacks are on (either generation's flag), and the policy
    /// the readable `timing` holds.
    fn new(timing: Option<&Timing>, automation: &Automation) -> Self {
        let policy = timing.and_then(|timing| timing.callback.as_ref());
        Self {
            enabled: automation
                .enable_callback
                .or(automation.callback_enabled)
                .unwrap_or(false),
            delay_minutes: policy.map(|p| p.delay_minutes),
            time_of_day: policy
                .and_then(|p| p.time_of_day)
                .map(|time| time.format("%H:%M").to_string()),
            max_delay_days: policy.and_then(|p| p.max_delay_days),
            on: automation
                .callback_on
                .clone()
                .unwrap_or_else(|| DEFAULT_CALLBACK_ON.iter().map(|w| w.to_string()).collect()),
        }
    }
}

/// The contact references as text: ids as hex, whatever else as stored.
fn contact_texts(automation: &Automation) -> Vec<String> {
    automation
        .contacts
        .iter()
        .flatten()
        .map(|contact| match (contact.object_id(), contact) {
            (Some(id), _) => id.to_hex(),
            (None, IdRef::Text(text)) => text.clone(),
            (None, IdRef::Id(id)) => id.to_hex(),
        })
        .collect()
}

/// `fixedDate` as stored: its text, or a date as RFC 3339.
fn stored_date(date: &LooseDate) -> String {
    match date {
        LooseDate::Text(text) => text.clone(),
        LooseDate::Date(at) => at
            .try_to_rfc3339_string()
            .unwrap_or_else(|_| at.timestamp_millis().to_string()),
    }
}

impl From<Automation> for AutomationView {
    fn from(automation: Automation) -> Self {
        Self::from(&automation)
    }
}
