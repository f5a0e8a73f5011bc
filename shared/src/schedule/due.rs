//! When an automation's call to one contact is due, and when it may ring.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::local_time::at_local;
use super::QuietHours;
use crate::model::{Timing, Trigger};

/// The instant the automation means to call: for [`Trigger::OnDate`] that
/// date at the time of day in the automation's zone; for
/// [`Trigger::Relative`] `reference` moved by `days` (negative: before) at
/// the time of day in the automation's zone, `None` without a reference
/// (get it from [`super::reference_date`], which already falls back to the
/// automation's own date). Daylight-saving gaps and folds as in
/// [`at_local`]. `None` also when the date would leave chrono's range.
pub fn due_instant(timing: &Timing, reference: Option<NaiveDate>) -> Option<DateTime<Utc>> {
    let date = match &timing.trigger {
        Trigger::OnDate(date) => *date,
        Trigger::Relative { days, .. } => shift(reference?, *days)?,
    };
    Some(at_local(date, timing.time_of_day, timing.timezone))
}

/// [`due_instant`] moved to the next minute quiet hours allow in the
/// recipient's zone ([`super::recipient_zone`]): a call due at 09:00 New
/// York time to someone in Los Angeles waits until 08:00 there.
pub fn call_time(
    timing: &Timing,
    reference: Option<NaiveDate>,
    recipient_zone: Tz,
    quiet: QuietHours,
) -> Option<DateTime<Utc>> {
    due_instant(timing, reference).map(|due| quiet.next_allowed(due, recipient_zone))
}

/// The automation's own date, which relative triggers fall back to when a
/// contact has no reference date of its own.
pub fn fallback_date(timing: &Timing) -> Option<NaiveDate> {
    match &timing.trigger {
        Trigger::OnDate(date) => Some(*date),
        Trigger::Relative { fallback_date, .. } => *fallback_date,
    }
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        date.checked_add_days(magnitude)
    } else {
        date.checked_sub_days(magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Automation;
    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::America::{Los_Angeles, New_York, Phoenix};
    use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn automation(fields: Document) -> Automation {
        let mut doc = doc! {
            "_id": ObjectId::new(),
            "userId": ObjectId::new(),
            "name": "test",
            "description": "",
            "isActive": true,
        };
        doc.extend(fields);
        mongodb::bson::from_document(doc).unwrap()
    }

    /// First generation, re-saved by the newer app (second-generation
    /// defaults present), as `tests/src/legacy.rs` has it.
    fn first_generation_on_date() -> Automation {
        automation(doc! {
            "triggerType": "on_date",
            "offsetDays": 0,
            "offsetDirection": "after",
            "onDate": "2025-09-15",
            "onTime": "18:00",
            "callbackEnabled": true,
            "callbackDelay": "15min",
            "callbackCustomDay": "today",
            "daysOffset": 7,
            "fixedDate": Bson::Null,
            "timeOfDay": "09:00",
            "timezone": "America/New_York",
            "timingMode": "after",
        })
    }

    fn second_generation_on_date() -> Automation {
        automation(doc! {
            "daysOffset": 7,
            "fixedDate": "2025-09-15T00:00:00.000-04:00",
            "timeOfDay": "18:00",
            "timezone": "America/New_York",
            "timingMode": "on_date",
            "enableCallback": true,
            "callbackDelayMinutes": 30,
            "callbackMaxDelayDays": 7,
            "callbackTimeOfDay": "09:00",
        })
    }

    #[test]
    fn both_generations_on_date_are_due_together() {
        let first = first_generation_on_date().timing().unwrap();
        let second = second_generation_on_date().timing().unwrap();
        let expected = Some(utc("2025-09-15T22:00:00Z"));
        assert_eq!(due_instant(&first, None), expected);
        assert_eq!(due_instant(&second, None), expected);
        // The reference date does not matter on a fixed date.
        assert_eq!(due_instant(&first, Some(day(2020, 1, 1))), expected);
    }

    #[test]
    fn both_generations_relative_are_due_together() {
        let pairs = [
            (
                doc! { "triggerType": "relative", "offsetDays": 3, "offsetDirection": "after",
                "onTime": "10:00", "timezone": "America/Los_Angeles" },
                doc! { "timingMode": "after", "daysOffset": 3.0, "fixedDate": Bson::Null,
                "timeOfDay": "10:00", "timezone": "America/Los_Angeles" },
                "2025-09-13T17:00:00Z",
            ),
            (
                doc! { "triggerType": "relative", "offsetDays": 3_i64, "offsetDirection": "before",
                "onTime": "10:00", "timezone": "America/Los_Angeles" },
                doc! { "timingMode": "before", "daysOffset": 3, "fixedDate": Bson::Null,
                "timeOfDay": "10:00", "timezone": "America/Los_Angeles" },
                "2025-09-07T17:00:00Z",
            ),
        ];
        for (first, second, expected) in pairs {
            let first = automation(first);
            assert!(first.is_first_generation());
            let second = automation(second);
            assert!(!second.is_first_generation());
            for timing in [first.timing().unwrap(), second.timing().unwrap()] {
                assert_eq!(
                    due_instant(&timing, Some(day(2025, 9, 10))),
                    Some(utc(expected)),
                    "{timing:?}"
                );
                assert_eq!(due_instant(&timing, None), None);
            }
        }
    }

    #[test]
    fn relative_across_a_transition_keeps_the_wall_time() {
        let timing = Timing {
            trigger: Trigger::Relative {
                days: 7,
                fallback_date: None,
            },
            time_of_day: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            timezone: New_York,
            callback: None,
        };
        // 7 days after Mar 2 is spring-forward day: 02:30 does not exist.
        assert_eq!(
            due_instant(&timing, Some(day(2025, 3, 2))),
            Some(utc("2025-03-09T07:00:00Z"))
        );
        // Fall back: the first 02:30... which is not ambiguous (01:xx is).
        assert_eq!(
            due_instant(&timing, Some(day(2025, 10, 26))),
            Some(utc("2025-11-02T07:30:00Z"))
        );
    }

    #[test]
    fn call_time_respects_the_recipients_quiet_hours() {
        let timing = Timing {
            trigger: Trigger::OnDate(day(2025, 9, 15)),
            time_of_day: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            timezone: New_York,
            callback: None,
        };
        let quiet = QuietHours::default();
        let due = utc("2025-09-15T13:00:00Z");
        assert_eq!(call_time(&timing, None, New_York, quiet), Some(due));
        // 06:00 in Los Angeles: wait for 08:00 there.
        assert_eq!(
            call_time(&timing, None, Los_Angeles, quiet),
            Some(
                Los_Angeles
                    .with_ymd_and_hms(2025, 9, 15, 8, 0, 0)
                    .unwrap()
                    .with_timezone(&Utc)
            )
        );
        // 06:00 in Phoenix (MST all year).
        assert_eq!(
            call_time(&timing, None, Phoenix, quiet),
            Some(utc("2025-09-15T15:00:00Z"))
        );
        // 21:30 due: next morning.
        let late = Timing {
            time_of_day: NaiveTime::from_hms_opt(21, 30, 0).unwrap(),
            ..timing
        };
        assert_eq!(
            call_time(&late, None, New_York, quiet),
            Some(utc("2025-09-16T12:00:00Z"))
        );
    }

    #[test]
    fn fallback_date_is_the_automations_own() {
        let timing = automation(doc! {
            "timingMode": "after", "daysOffset": 7, "fixedDate": "2025-09-20T00:00:00.000-04:00",
            "timeOfDay": "09:00", "timezone": "America/New_York",
        })
        .timing()
        .unwrap();
        assert_eq!(fallback_date(&timing), Some(day(2025, 9, 20)));
        assert_eq!(
            due_instant(&timing, fallback_date(&timing)),
            Some(utc("2025-09-27T13:00:00Z"))
        );
    }

    #[test]
    fn out_of_range_is_none() {
        let timing = Timing {
            trigger: Trigger::Relative {
                days: i64::MAX,
                fallback_date: None,
            },
            time_of_day: NaiveTime::MIN,
            timezone: New_York,
            callback: None,
        };
        assert_eq!(due_instant(&timing, Some(day(2025, 1, 1))), None);
        let before = Timing {
            trigger: Trigger::Relative {
                days: i64::MIN,
                fallback_date: None,
            },
            ..timing
        };
        assert_eq!(due_instant(&before, Some(day(2025, 1, 1))), None);
    }
}
