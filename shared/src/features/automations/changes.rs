//! A body that passed every rule, as typed values: what a create writes or
//! a `PATCH` changes. [`validate`](super::validate) builds it; the
//! [`repo`](super::repo) alone knows how each value is stored.
//!
//! `None` is a field left out. For the nullable fields `Some(None)` is a
//! field cleared (stored as `null`).

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use mongodb::bson::oid::ObjectId;

use super::input::TimingMode;

/// Every field a valid body changes. On create the defaults are filled in
/// (`description` empty, `isActive` true, no contacts) and the timing is
/// [`TimingChange::New`].
#[derive(Clone, Debug, PartialEq)]
pub struct AutomationChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
    pub timing: TimingChange,
    pub reference_field: Option<Option<String>>,
    pub ai_instructions: Option<Option<String>>,
    pub voice_audio_url: Option<Option<String>>,
    pub use_ai_voice: Option<bool>,
    pub ai_voice_text: Option<Option<String>>,
    pub use_ai_response: Option<bool>,
    pub enable_callback: Option<bool>,
    pub callback_delay_minutes: Option<i32>,
    pub callback_max_delay_days: Option<Option<i32>>,
    pub callback_time_of_day: Option<Option<NaiveTime>>,
    /// `callbackOn`: outcome words, without repeats; `Some(None)` clears.
    pub callback_on: Option<Option<Vec<String>>>,
    pub retry_count: Option<i32>,
    /// The user's contacts, without repeats.
    pub contacts: Option<Vec<ObjectId>>,
    /// One of the user's recordings.
    pub audio_message: Option<Option<ObjectId>>,
}

impl AutomationChanges {
    /// Nothing given: nothing to write.
    pub fn is_empty(&self) -> bool {
        let Self {
            name,
            description,
            is_active,
            timing,
            reference_field,
            ai_instructions,
            voice_audio_url,
            use_ai_voice,
            ai_voice_text,
            use_ai_response,
            enable_callback,
            callback_delay_minutes,
            callback_max_delay_days,
            callback_time_of_day,
            callback_on,
            retry_count,
            contacts,
            audio_message,
        } = self;
        name.is_none()
            && description.is_none()
            && is_active.is_none()
            && timing.is_unchanged()
            && reference_field.is_none()
            && ai_instructions.is_none()
            && voice_audio_url.is_none()
            && use_ai_voice.is_none()
            && ai_voice_text.is_none()
            && use_ai_response.is_none()
            && enable_callback.is_none()
            && callback_delay_minutes.is_none()
            && callback_max_delay_days.is_none()
            && callback_time_of_day.is_none()
            && callback_on.is_none()
            && retry_count.is_none()
            && contacts.is_none()
            && audio_message.is_none()
    }

    /// When, whom or from which date it calls changed: the evaluator must
    /// look at the automation again.
    pub fn reschedules(&self) -> bool {
        !self.timing.is_unchanged() || self.reference_field.is_some() || self.contacts.is_some()
    }
}

/// How the timing changes.
#[derive(Clone, Debug, PartialEq)]
pub enum TimingChange {
    /// A second-generation automation: only the fields given change.
    /// `zone` is its zone after the change, the one a given `fixedDate` is
    /// stored in.
    Fields { given: GivenTiming, zone: Tz },
    /// A new automation's complete timing.
    New(CompleteTiming),
    /// A first-generation automation whose timing changed: the complete
    /// second-generation timing (its current meaning with the change
    /// applied) replaces `triggerType`, so
    /// [`Automation::timing`](crate::model::Automation::timing) reads the
    /// new fields. Its other legacy fields are kept as stored.
    Migration(CompleteTiming),
}

impl TimingChange {
    fn is_unchanged(&self) -> bool {
        match self {
            Self::Fields { given, .. } => *given == GivenTiming::default(),
            Self::New(_) | Self::Migration(_) => false,
        }
    }
}

/// Second-generation timing fields, each given or not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GivenTiming {
    pub mode: Option<TimingMode>,
    pub days_offset: Option<i32>,
    pub fixed_date: Option<Option<NaiveDate>>,
    pub time_of_day: Option<NaiveTime>,
    pub timezone: Option<Tz>,
}

impl GivenTiming {
    /// Whether the day or the time of day is given (a zone alone is not).
    pub fn touches_when(&self) -> bool {
        self.mode.is_some()
            || self.days_offset.is_some()
            || self.fixed_date.is_some()
            || self.time_of_day.is_some()
    }
}

/// Every second-generation timing field, checked as a whole.
#[derive(Clone, Debug, PartialEq)]
pub struct CompleteTiming {
    /// `None` only for a first-generation document whose mode is unreadable.
    pub mode: Option<TimingMode>,
    pub days_offset: i32,
    pub fixed_date: Option<NaiveDate>,
    pub time_of_day: NaiveTime,
    pub timezone: Tz,
}
