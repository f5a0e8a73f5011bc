use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::{Deserialize, Serialize};

use super::{non_blank, record, IdRef, LooseDate, Number};

/// `automations`: "call these contacts on a date, or N days after each
/// one's reference date, at a local time", with optional callbacks.
///
/// Production holds two generations of these documents. The first wrote
/// `triggerType`/`offsetDays`/`offsetDirection`/`onDate`/`onTime` and
/// `callbackEnabled`/`callbackDelay: "15min"`; the second writes
/// `timingMode`/`daysOffset`/`fixedDate`/`timeOfDay` and
/// `enableCallback`/`callbackDelayMinutes`. Both are kept as stored;
/// [`Automation::timing`] reads either into one [`Timing`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Automation {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub is_active: bool,

    // Second generation timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_offset: Option<Number>,
    /// `"2025-09-17T00:00:00.000-04:00"` or `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_date: Option<LooseDate>,
    /// `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_of_day: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// New in this backend: the contact field holding each contact's
    /// reference date for relative timing, such as `metadata.purchaseDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_field: Option<String>,

    // First generation timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_days: Option<Number>,
    /// `after` or `before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_direction: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_date: Option<String>,
    /// `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<String>,

    // Callbacks, both generations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_callback: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_delay_minutes: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_max_delay_days: Option<Number>,
    /// `HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_time_of_day: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_enabled: Option<bool>,
    /// `15min`, `2hr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_delay: Option<String>,
    /// `today`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_custom_day: Option<String>,
    /// New in this backend: the outcomes that call back (`no-answer`,
    /// `busy`, `failed`, `voicemail`, `voicemail-left`); absent means
    /// every one but `voicemail-left` ([`CallbackPolicy::outcomes`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_on: Option<Vec<String>>,

    // What the call says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_audio_url: Option<String>,
    /// Id of a `recordings` document, stored as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_message: Option<IdRef>,
    #[serde(
        rename = "useAIVoice",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub use_ai_voice: Option<bool>,
    #[serde(
        rename = "aiVoiceText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ai_voice_text: Option<String>,
    #[serde(
        rename = "aiVoiceSettings",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ai_voice_settings: Option<Document>,
    #[serde(
        rename = "useAIResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub use_ai_response: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<DateTime>,
    /// New in this backend: tries per scheduled call, callbacks included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<Number>,

    // Who, and bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<IdRef>>,
    /// New in this backend: when each contact (by hex id) joined, the
    /// reference date of last resort for relative timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_joined_at: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_history: Option<Vec<Document>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(Automation, "automations");

/// When an automation calls, whichever generation wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub trigger: Trigger,
    pub time_of_day: NaiveTime,
    pub timezone: Tz,
    /// `None` when callbacks are off.
    pub callback: Option<CallbackPolicy>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// Everyone on one calendar day.
    OnDate(NaiveDate),
    /// `days` after each contact's reference date; negative is before.
    /// `fallback_date` is the automation's own date, used when a contact
    /// has none.
    Relative {
        days: i64,
        fallback_date: Option<NaiveDate>,
    },
}

/// What to do when a call ends unanswered.
#[derive(Clone, Debug, PartialEq)]
pub struct CallbackPolicy {
    pub delay_minutes: i64,
    pub time_of_day: Option<NaiveTime>,
    pub max_delay_days: Option<i64>,
    /// `callbackOn`: the outcome words that call back, as stored; `None`
    /// for the default (no answer, busy, failed, voicemail without a
    /// message left).
    pub outcomes: Option<Vec<String>>,
}

/// The outcome words `callbackOn` may hold, as the API and the callback
/// rule spell them.
pub const CALLBACK_OUTCOMES: [&str; 5] =
    ["no-answer", "busy", "failed", "voicemail", "voicemail-left"];

/// Minutes between attempts when callbacks are on but no delay was stored.
pub const DEFAULT_CALLBACK_DELAY_MINUTES: i64 = 30;

/// Why an automation's timing cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error("{field}: {value:?} is not a valid {expected}")]
    Malformed {
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("{field} is missing")]
    Missing { field: &'static str },
}

impl Automation {
    /// How the call speaks: a recorded (or AI-voiced) message, the AI agent,
    /// or the message followed by the AI.
    pub fn call_mode(&self) -> &'static str {
        let has_message = self.audio_message.is_some()
            || non_blank(&self.voice_audio_url).is_some()
            || (self.use_ai_voice == Some(true) && non_blank(&self.ai_voice_text).is_some());
        match (has_message, self.use_ai_response.unwrap_or(true)) {
            (false, _) => "ai-only",
            (true, true) => "recording-ai",
            (true, false) => "recording",
        }
    }

    /// The day `contact` joined the automation, in `zone`: recorded when
    /// contacts are added through this backend, else the automation's own
    /// creation day.
    pub fn joined_on(&self, contact: ObjectId, zone: Tz) -> Option<NaiveDate> {
        self.contacts_joined_at
            .as_ref()
            .and_then(|joined| joined.get_datetime(contact.to_hex()).ok())
            .or(self.created_at.as_ref())
            .map(|at| at.to_chrono().with_timezone(&zone).date_naive())
    }

    /// The contacts it calls, as ids.
    pub fn contact_ids(&self) -> Vec<ObjectId> {
        self.contacts
            .iter()
            .flatten()
            .filter_map(IdRef::object_id)
            .collect()
    }

    /// True when the document's timing is first generation: it has a
    /// `triggerType` and no second-generation `fixedDate`. The second
    /// generation's other fields (`timingMode`, `daysOffset: 7`,
    /// `timeOfDay`) carry schema defaults on re-saved old documents, so
    /// their presence alone does not mean the owner set them.
    pub fn is_first_generation(&self) -> bool {
        self.trigger_type.is_some() && self.fixed_date.is_none()
    }

    /// The automation's timing in one meaning.
    pub fn timing(&self) -> Result<Timing, TimingError> {
        let timezone = match non_blank(&self.timezone) {
            None => chrono_tz::America::New_York,
            Some(zone) => zone.parse().map_err(|_| TimingError::Malformed {
                field: "timezone",
                value: zone.to_string(),
                expected: "IANA time zone",
            })?,
        };
        let (trigger, time_of_day) = if self.is_first_generation() {
            (
                self.first_generation_trigger()?,
                self.clock("onTime", &self.on_time)?,
            )
        } else {
            (
                self.second_generation_trigger(timezone)?,
                self.clock("timeOfDay", &self.time_of_day)?,
            )
        };
        Ok(Timing {
            trigger,
            time_of_day,
            timezone,
            callback: self.callback_policy()?,
        })
    }

    fn first_generation_trigger(&self) -> Result<Trigger, TimingError> {
        let on_date = non_blank(&self.on_date)
            .map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| TimingError::Malformed {
                    field: "onDate",
                    value: text.to_string(),
                    expected: "date (YYYY-MM-DD)",
                })
            })
            .transpose()?;
        if self.trigger_type.as_deref() == Some("on_date") {
            return on_date
                .map(Trigger::OnDate)
                .ok_or(TimingError::Missing { field: "onDate" });
        }
        let days = self.offset_days.map_or(0, Number::as_i64);
        let days = match self.offset_direction.as_deref() {
            Some("before") => -days,
            _ => days,
        };
        Ok(Trigger::Relative {
            days,
            fallback_date: on_date,
        })
    }

    fn second_generation_trigger(&self, zone: Tz) -> Result<Trigger, TimingError> {
        let fixed_date = match &self.fixed_date {
            None => None,
            Some(date) => Some(
                date.local_date(zone)
                    .ok_or_else(|| TimingError::Malformed {
                        field: "fixedDate",
                        value: format!("{date:?}"),
                        expected: "date",
                    })?,
            ),
        };
        match self.timing_mode.as_deref() {
            Some("on_date") => fixed_date
                .map(Trigger::OnDate)
                .ok_or(TimingError::Missing { field: "fixedDate" }),
            Some("before") => Ok(Trigger::Relative {
                days: -self.days_offset.map_or(0, Number::as_i64),
                fallback_date: fixed_date,
            }),
            _ => Ok(Trigger::Relative {
                days: self.days_offset.map_or(0, Number::as_i64),
                fallback_date: fixed_date,
            }),
        }
    }

    fn clock(&self, field: &'static str, value: &Option<String>) -> Result<NaiveTime, TimingError> {
        let text = non_blank(value).ok_or(TimingError::Missing { field })?;
        parse_clock(text).ok_or_else(|| TimingError::Malformed {
            field,
            value: text.to_string(),
            expected: "time (HH:MM)",
        })
    }

    fn callback_policy(&self) -> Result<Option<CallbackPolicy>, TimingError> {
        let enabled = self
            .enable_callback
            .or(self.callback_enabled)
            .unwrap_or(false);
        if !enabled {
            return Ok(None);
        }
        let delay_minutes = match (self.callback_delay_minutes, non_blank(&self.callback_delay)) {
            (Some(minutes), _) => minutes.as_i64(),
            (None, Some(text)) => {
                parse_delay_minutes(text).ok_or_else(|| TimingError::Malformed {
                    field: "callbackDelay",
                    value: text.to_string(),
                    expected: "delay such as 15min or 2hr",
                })?
            }
            (None, None) => DEFAULT_CALLBACK_DELAY_MINUTES,
        };
        let time_of_day = non_blank(&self.callback_time_of_day)
            .map(|text| {
                parse_clock(text).ok_or_else(|| TimingError::Malformed {
                    field: "callbackTimeOfDay",
                    value: text.to_string(),
                    expected: "time (HH:MM)",
                })
            })
            .transpose()?;
        Ok(Some(CallbackPolicy {
            delay_minutes,
            time_of_day,
            max_delay_days: self.callback_max_delay_days.map(Number::as_i64),
            outcomes: self.callback_on.clone(),
        }))
    }
}

/// `HH:MM` (or `HH:MM:SS`) on a 24-hour clock.
pub fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

/// The first generation's delays: `15min`, `30 mins`, `2hr`, `1 hour`,
/// `1day`.
pub fn parse_delay_minutes(text: &str) -> Option<i64> {
    let text = text.trim().to_ascii_lowercase();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let amount: i64 = text[..split].parse().ok()?;
    let per_unit = match text[split..].trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 1,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60,
        "d" | "day" | "days" => 24 * 60,
        _ => return None,
    };
    amount.checked_mul(per_unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse() {
        assert_eq!(parse_delay_minutes("15min"), Some(15));
        assert_eq!(parse_delay_minutes("2hr"), Some(120));
        assert_eq!(parse_delay_minutes("30 mins"), Some(30));
        assert_eq!(parse_delay_minutes("1day"), Some(1440));
        assert_eq!(parse_delay_minutes("soon"), None);
        assert_eq!(parse_delay_minutes("15"), None);
    }

    #[test]
    fn clocks_parse() {
        assert_eq!(parse_clock("18:00"), NaiveTime::from_hms_opt(18, 0, 0));
        assert_eq!(parse_clock("09:00:30"), NaiveTime::from_hms_opt(9, 0, 30));
        assert_eq!(parse_clock("25:00"), None);
        assert_eq!(parse_clock("6pm"), None);
    }
}
