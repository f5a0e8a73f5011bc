//! Trying again after a call ends unanswered. The dialer calls
//! [`next_attempt`] when a call ends.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::local_time::at_local;
use super::{CallOutcome, QuietHours};
use crate::model::CallbackPolicy;

/// Calls per contact and due time, the first included, when the
/// automation sets no other number.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// When to call again after a call ended with `outcome` at `ended_at`, or
/// `None` for no further attempt.
///
/// - `attempts_made`: calls already placed for this contact and due time,
///   the one that just ended included (1 after the first call; a scheduled
///   call's `retryCount` + 1). `max_attempts`: the most calls to place in
///   all, the first included ([`DEFAULT_MAX_ATTEMPTS`]). No attempt once
///   `attempts_made >= max_attempts`, nor after an answered or canceled
///   call.
/// - `outcome`: only those `policy.outcomes` (`callbackOn`) names call
///   back, by default no answer, busy, failed and voicemail with no
///   message left ([`CallOutcome::calls_back_under`]).
/// - `first_due`: when the first call was due; `zone`: the recipient's
///   ([`super::recipient_zone`]); `quiet`: the user's window.
///
/// The next attempt is `policy.delay_minutes` after `ended_at` (a negative
/// delay counts as none), moved into quiet hours. If that is still on
/// `ended_at`'s local day it stands. If it is on a later day and the
/// policy has a `callbackTimeOfDay`, the call is placed at that time
/// instead, on the first day after `ended_at`'s on which that time is not
/// before the delay is over (then moved into quiet hours, should that
/// time be outside them). With `callbackMaxDelayDays` set, an attempt later
/// than that many calendar days after `first_due` (same local time, in
/// `zone`) is not made.
#[allow(clippy::too_many_arguments)]
pub fn next_attempt(
    policy: &CallbackPolicy,
    outcome: CallOutcome,
    ended_at: DateTime<Utc>,
    first_due: DateTime<Utc>,
    attempts_made: u32,
    max_attempts: u32,
    zone: Tz,
    quiet: QuietHours,
) -> Option<DateTime<Utc>> {
    if !outcome.calls_back_under(policy.outcomes.as_deref()) || attempts_made >= max_attempts {
        return None;
    }
    let delay = Duration::try_minutes(policy.delay_minutes.max(0))?;
    let earliest = ended_at.checked_add_signed(delay)?;
    let ended_day = ended_at.with_timezone(&zone).date_naive();
    let same_day = quiet.next_allowed(earliest, zone);
    let attempt = match policy.time_of_day {
        Some(time) if same_day.with_timezone(&zone).date_naive() != ended_day => {
            let first_day = ended_day
                .checked_add_days(Days::new(1))?
                .max(earliest.with_timezone(&zone).date_naive());
            let at = [first_day, first_day.checked_add_days(Days::new(1))?]
                .into_iter()
                .map(|day| at_local(day, time, zone))
                .find(|at| *at >= earliest)?;
            quiet.next_allowed(at, zone)
        }
        _ => same_day,
    };
    if let Some(days) = policy.max_delay_days {
        if attempt > latest_allowed(first_due, days, zone)? {
            return None;
        }
    }
    Some(attempt)
}

/// `days` calendar days after `first_due`, same local time in `zone`.
fn latest_allowed(first_due: DateTime<Utc>, days: i64, zone: Tz) -> Option<DateTime<Utc>> {
    let local = first_due.with_timezone(&zone);
    let day: NaiveDate = if days >= 0 {
        local
            .date_naive()
            .checked_add_days(Days::new(days.unsigned_abs()))?
    } else {
        local
            .date_naive()
            .checked_sub_days(Days::new(days.unsigned_abs()))?
    };
    Some(at_local(day, local.time(), zone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Automation;
    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::America::{Los_Angeles, New_York};
    use mongodb::bson::{doc, oid::ObjectId, Document};

    fn ny(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        local(New_York, y, m, d, h, mi)
    }

    fn local(zone: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        zone.with_ymd_and_hms(y, m, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy_of(fields: Document) -> CallbackPolicy {
        let mut doc = doc! {
            "_id": ObjectId::new(),
            "userId": ObjectId::new(),
            "name": "test",
            "isActive": true,
            "timezone": "America/New_York",
        };
        doc.extend(fields);
        let automation: Automation = mongodb::bson::from_document(doc).unwrap();
        automation.timing().unwrap().callback.unwrap()
    }

    fn legacy(delay: &str) -> CallbackPolicy {
        policy_of(doc! {
            "triggerType": "on_date", "onDate": "2025-09-15", "onTime": "10:00",
            "callbackEnabled": true, "callbackDelay": delay, "callbackCustomDay": "today",
        })
    }

    fn modern(time_of_day: Option<&str>, max_days: Option<i32>) -> CallbackPolicy {
        let mut fields = doc! {
            "timingMode": "on_date", "fixedDate": "2025-09-15T00:00:00.000-04:00",
            "timeOfDay": "10:00", "enableCallback": true, "callbackDelayMinutes": 30,
        };
        if let Some(time) = time_of_day {
            fields.insert("callbackTimeOfDay", time);
        }
        if let Some(days) = max_days {
            fields.insert("callbackMaxDelayDays", days);
        }
        policy_of(fields)
    }

    fn next(policy: &CallbackPolicy, ended_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_attempt(
            policy,
            CallOutcome::NoAnswer,
            ended_at,
            ny(2025, 9, 15, 10, 0),
            1,
            DEFAULT_MAX_ATTEMPTS,
            New_York,
            QuietHours::default(),
        )
    }

    #[test]
    fn which_outcomes_call_back() {
        use CallOutcome::*;
        for outcome in [NoAnswer, Busy, Failed, Voicemail] {
            assert!(outcome.wants_callback(), "{outcome:?}");
        }
        for outcome in [Answered, Canceled] {
            assert!(!outcome.wants_callback(), "{outcome:?}");
            let policy = modern(None, None);
            let ended = ny(2025, 9, 15, 10, 1);
            let result = next_attempt(
                &policy,
                outcome,
                ended,
                ended,
                1,
                3,
                New_York,
                QuietHours::default(),
            );
            assert_eq!(result, None, "{outcome:?}");
        }
    }

    #[test]
    fn legacy_delays() {
        assert_eq!(legacy("15min").delay_minutes, 15);
        assert_eq!(
            next(&legacy("15min"), ny(2025, 9, 15, 10, 1)),
            Some(ny(2025, 9, 15, 10, 16))
        );
        assert_eq!(
            next(&legacy("2hr"), ny(2025, 9, 15, 10, 1)),
            Some(ny(2025, 9, 15, 12, 1))
        );
        // 2 hours after 20:00 is 22:00: next morning at 08:00.
        assert_eq!(
            next(&legacy("2hr"), ny(2025, 9, 15, 20, 0)),
            Some(ny(2025, 9, 16, 8, 0))
        );
        // Exactly 21:00 is still allowed.
        assert_eq!(
            next(&legacy("2hr"), ny(2025, 9, 15, 19, 0)),
            Some(ny(2025, 9, 15, 21, 0))
        );
    }

    #[test]
    fn night_time_no_answer_waits_for_morning() {
        // 20:50 + 30 min = 21:20: not tonight.
        let ended = ny(2025, 9, 15, 20, 50);
        assert_eq!(
            next(&modern(None, None), ended),
            Some(ny(2025, 9, 16, 8, 0))
        );
        assert_eq!(
            next(&modern(Some("09:00"), None), ended),
            Some(ny(2025, 9, 16, 9, 0))
        );
        // A callback time before quiet hours end still waits for them.
        assert_eq!(
            next(&modern(Some("06:30"), None), ended),
            Some(ny(2025, 9, 16, 8, 0))
        );
    }

    #[test]
    fn callback_time_of_day_only_for_another_day() {
        // Same day: the delay alone.
        assert_eq!(
            next(&modern(Some("09:00"), None), ny(2025, 9, 15, 10, 0)),
            Some(ny(2025, 9, 15, 10, 30))
        );
        // Ended before midnight, delay runs past it: the next day at 09:00.
        assert_eq!(
            next(&modern(Some("09:00"), None), ny(2025, 9, 15, 23, 50)),
            Some(ny(2025, 9, 16, 9, 0))
        );
        // A delay of a day and a bit: the first 09:00 after the delay.
        let mut long = modern(Some("09:00"), None);
        long.delay_minutes = 24 * 60;
        assert_eq!(
            next(&long, ny(2025, 9, 15, 14, 0)),
            Some(ny(2025, 9, 17, 9, 0))
        );
        long.delay_minutes = 18 * 60;
        assert_eq!(
            next(&long, ny(2025, 9, 15, 14, 0)),
            Some(ny(2025, 9, 16, 9, 0))
        );
    }

    #[test]
    fn max_delay_days_cuts_off() {
        // First due 2025-09-15 10:00; 7 days: nothing after 2025-09-22 10:00.
        let policy = modern(Some("09:00"), Some(7));
        assert_eq!(policy.max_delay_days, Some(7));
        assert_eq!(
            next(&policy, ny(2025, 9, 22, 9, 0)),
            Some(ny(2025, 9, 22, 9, 30))
        );
        assert_eq!(
            next(&policy, ny(2025, 9, 22, 9, 30)),
            Some(ny(2025, 9, 22, 10, 0))
        );
        assert_eq!(next(&policy, ny(2025, 9, 22, 9, 31)), None);
        // Next-morning callback past the limit.
        assert_eq!(
            next(&policy, ny(2025, 9, 21, 20, 50)),
            Some(ny(2025, 9, 22, 9, 0))
        );
        assert_eq!(
            next(&modern(Some("09:00"), Some(6)), ny(2025, 9, 21, 20, 50)),
            None
        );
        // Zero days: only the same day up to the first due time... which has passed.
        assert_eq!(next(&modern(None, Some(0)), ny(2025, 9, 15, 10, 1)), None);
        // No limit without the field.
        assert!(next(&modern(None, None), ny(2026, 9, 15, 10, 1)).is_some());
    }

    #[test]
    fn attempts_are_capped() {
        let policy = modern(None, None);
        let ended = ny(2025, 9, 15, 10, 0);
        let first_due = ended;
        let quiet = QuietHours::default();
        let attempt = |made, max| {
            next_attempt(
                &policy,
                CallOutcome::Busy,
                ended,
                first_due,
                made,
                max,
                New_York,
                quiet,
            )
        };
        assert_eq!(attempt(1, 3), Some(ny(2025, 9, 15, 10, 30)));
        assert_eq!(attempt(2, 3), Some(ny(2025, 9, 15, 10, 30)));
        assert_eq!(attempt(3, 3), None);
        assert_eq!(attempt(4, 3), None);
        assert_eq!(attempt(1, 1), None);
        assert_eq!(attempt(0, 0), None);
        assert_eq!(DEFAULT_MAX_ATTEMPTS, 3);
    }

    #[test]
    fn quiet_hours_are_the_recipients() {
        // 18:50 in New York is 15:50 in Los Angeles: fine there.
        let policy = modern(Some("09:00"), None);
        let ended = ny(2025, 9, 15, 20, 50);
        let quiet = QuietHours::default();
        let result = next_attempt(
            &policy,
            CallOutcome::Voicemail,
            ended,
            ended,
            1,
            3,
            Los_Angeles,
            quiet,
        );
        assert_eq!(result, Some(ny(2025, 9, 15, 21, 20)));
        // A Los Angeles evening past 21:00 there: next day 09:00 Pacific.
        let late = local(Los_Angeles, 2025, 9, 15, 20, 50);
        let result = next_attempt(
            &policy,
            CallOutcome::NoAnswer,
            late,
            late,
            1,
            3,
            Los_Angeles,
            quiet,
        );
        assert_eq!(result, Some(local(Los_Angeles, 2025, 9, 16, 9, 0)));
    }

    #[test]
    fn negative_delay_counts_as_none() {
        let mut policy = modern(None, None);
        policy.delay_minutes = -30;
        assert_eq!(
            next(&policy, ny(2025, 9, 15, 10, 0)),
            Some(ny(2025, 9, 15, 10, 0))
        );
    }

    /// Every 7 minutes across a fortnight spanning fall-back (and one
    /// spanning spring-forward), several delays, with and without a callback
    /// time: never before the delay is over, always inside quiet hours, at
    /// the callback time when not on the same local day (unless quiet
    /// hours moved it).
    #[test]
    fn properties_around_transitions() {
        let quiet = QuietHours::default();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        for start in [ny(2025, 10, 27, 0, 0), ny(2025, 3, 3, 0, 0)] {
            for delay in [0, 15, 30, 120, 600, 1440, 3000] {
                for time_of_day in [None, Some(nine)] {
                    let policy = CallbackPolicy {
                        delay_minutes: delay,
                        time_of_day,
                        max_delay_days: None,
                        outcomes: None,
                    };
                    let mut ended = start;
                    while ended < start + Duration::days(14) {
                        let at = next_attempt(
                            &policy,
                            CallOutcome::NoAnswer,
                            ended,
                            start,
                            1,
                            3,
                            New_York,
                            quiet,
                        )
                        .unwrap();
                        let wall = at.with_timezone(&New_York);
                        assert!(at >= ended + Duration::minutes(delay), "{ended} {delay}");
                        assert!(quiet.allows(wall.time()), "{ended} {delay}: {wall}");
                        let same_day =
                            wall.date_naive() == ended.with_timezone(&New_York).date_naive();
                        if time_of_day.is_some() && !same_day {
                            assert_eq!(wall.time(), nine, "{ended} {delay}");
                        }
                        // At most a day past the delay.
                        assert!(
                            at - (ended + Duration::minutes(delay)) <= Duration::hours(25),
                            "{ended} {delay}: {wall}"
                        );
                        ended += Duration::minutes(7);
                    }
                }
            }
        }
    }
}
