//! The timing of a body (`timingMode`, `daysOffset`, `fixedDate`,
//! `timeOfDay`, `timezone`): each value given is checked, then the whole,
//! merged with what the automation means now, since a change of one field
//! can break another (`on_date` needs a `fixedDate`).

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::changes::{CompleteTiming, GivenTiming, TimingChange};
use super::input::{TimingMode, DEFAULT_TIME_OF_DAY, MAX_DAYS_OFFSET};
use super::rules::{clock, date, in_range, required, timezone};
use crate::error::{Error, Result};
use crate::model::{parse_clock, Automation, Timing, Trigger};

/// The timing fields of a body, as sent.
#[derive(Clone, Debug, Default)]
pub struct SentTiming {
    pub mode: Option<Option<TimingMode>>,
    pub days_offset: Option<Option<i64>>,
    pub fixed_date: Option<Option<String>>,
    pub time_of_day: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
}

/// What `sent` does to the timing of `existing` (`None` on create, whose
/// zone defaults to `default_zone`), naming the field of the first rule
/// broken.
pub fn change(
    sent: SentTiming,
    existing: Option<&Automation>,
    default_zone: Tz,
) -> Result<TimingChange> {
    let creating = existing.is_none();
    let given = given(sent, creating)?;
    let merged = TimingFields::before(existing, default_zone).with(&given);
    let zone = merged.timezone.unwrap_or(default_zone);
    if !(creating || given.touches_when()) {
        return Ok(TimingChange::Fields { given, zone });
    }
    let time_of_day = whole(&merged)?;
    if creating {
        Ok(TimingChange::New(merged.complete(time_of_day, zone)?))
    } else if existing.is_some_and(Automation::is_first_generation) {
        Ok(TimingChange::Migration(merged.complete(time_of_day, zone)?))
    } else {
        Ok(TimingChange::Fields { given, zone })
    }
}

/// Each timing value given, checked on its own; `timingMode` is required
/// on create.
fn given(sent: SentTiming, creating: bool) -> Result<GivenTiming> {
    let mode = sent
        .mode
        .map(|mode| required("timingMode", mode))
        .transpose()?;
    if creating && mode.is_none() {
        return Err(Error::validation("timingMode", "timingMode is required"));
    }
    let days_offset = sent
        .days_offset
        .map(|days| {
            in_range(
                "daysOffset",
                required("daysOffset", days)?,
                0,
                MAX_DAYS_OFFSET,
            )
        })
        .transpose()?;
    let time_of_day = sent
        .time_of_day
        .map(|time| clock("timeOfDay", &required("timeOfDay", time)?))
        .transpose()?;
    let timezone = sent
        .timezone
        .map(|zone| timezone("timezone", &required("timezone", zone)?))
        .transpose()?;
    let fixed_date = sent
        .fixed_date
        .map(|day| day.map(|day| date("fixedDate", &day)).transpose())
        .transpose()?;
    Ok(GivenTiming {
        mode,
        days_offset,
        fixed_date,
        time_of_day,
        timezone,
    })
}

/// The rules of the timing as a whole: an `on_date` automation has a
/// date, and every automation a time of day, which is returned.
fn whole(merged: &TimingFields) -> Result<NaiveTime> {
    if merged.mode == Some(TimingMode::OnDate) && merged.fixed_date.is_none() {
        return Err(Error::validation(
            "fixedDate",
            "fixedDate is required when timingMode is on_date",
        ));
    }
    merged
        .time_of_day
        .ok_or_else(|| Error::validation("timeOfDay", "timeOfDay is required"))
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
    /// The timing before the change: a new automation's defaults (9:00 in
    /// `default_zone`), else what the stored one means.
    fn before(existing: Option<&Automation>, default_zone: Tz) -> Self {
        match existing {
            None => Self {
                time_of_day: parse_clock(DEFAULT_TIME_OF_DAY),
                timezone: Some(default_zone),
                ..Self::default()
            },
            Some(automation) if automation.is_first_generation() => automation
                .timing()
                .map(|timing| Self::from_timing(&timing))
                .unwrap_or_else(|_| Self::stored(automation)),
            Some(automation) => Self::stored(automation),
        }
    }

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

    /// These fields with the given ones in their place.
    fn with(self, given: &GivenTiming) -> Self {
        Self {
            mode: given.mode.or(self.mode),
            days_offset: given.days_offset.map_or(self.days_offset, i64::from),
            fixed_date: given.fixed_date.unwrap_or(self.fixed_date),
            time_of_day: given.time_of_day.or(self.time_of_day),
            timezone: given.timezone.or(self.timezone),
        }
    }

    /// The complete timing, `daysOffset` checked again: a first-generation
    /// offset was never held to the limit.
    fn complete(self, time_of_day: NaiveTime, zone: Tz) -> Result<CompleteTiming> {
        Ok(CompleteTiming {
            mode: self.mode,
            days_offset: in_range("daysOffset", self.days_offset, 0, MAX_DAYS_OFFSET)?,
            fixed_date: self.fixed_date,
            time_of_day,
            timezone: zone,
        })
    }
}
