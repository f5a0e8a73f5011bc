//! A wall-clock time on a calendar day in a zone, as an instant.

use chrono::{
    DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

/// Longest daylight-saving or zone-change gap searched past. Real gaps are
/// at most a day (Pacific/Apia skipped 2011-12-30).
const MAX_GAP_MINUTES: i64 = 2 * 24 * 60;

/// `time` on `date` in `zone`.
///
/// - Gap (spring forward: the time does not exist that day): the first
///   whole minute after it that exists, e.g. 02:30 on a US spring-forward
///   day is 03:00 local.
/// - Fold (fall back: the time happens twice): the first, earlier, instant.
pub fn at_local(date: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let wanted = date.and_time(time);
    match zone.from_local_datetime(&wanted) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => after_gap(wanted, zone),
    }
}

/// Every instant at which `zone`'s clocks read `time` on `date`, earliest
/// first: none in a gap, two in a fold.
pub(crate) fn all_at_local(date: NaiveDate, time: NaiveTime, zone: Tz) -> Vec<DateTime<Utc>> {
    match zone.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(at) => vec![at.with_timezone(&Utc)],
        LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
        LocalResult::None => Vec::new(),
    }
}

fn after_gap(wanted: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    // Whole minutes after the wanted time, in wall-clock terms.
    let minute = wanted
        .with_second(0)
        .and_then(|at| at.with_nanosecond(0))
        .unwrap_or(wanted);
    let mut candidate = minute;
    for _ in 0..MAX_GAP_MINUTES {
        let Some(next) = candidate.checked_add_signed(Duration::minutes(1)) else {
            break;
        };
        candidate = next;
        if let Some(at) = zone.from_local_datetime(&candidate).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    // Unreachable with real zone data; read the wall time at the offset in
    // force just before the gap rather than fail.
    let offset = zone.offset_from_utc_datetime(&wanted).fix();
    Utc.from_utc_datetime(&(wanted - Duration::seconds(i64::from(offset.local_minus_utc()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Australia, Europe};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn clock(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    type Ymd = (i32, u32, u32);
    type Hm = (u32, u32);

    /// (zone, day, a time inside the gap, instant it maps to, wall time of that instant)
    const GAPS: [(Tz, Ymd, Hm, &str, Hm); 8] = [
        (
            America::New_York,
            (2025, 3, 9),
            (2, 30),
            "2025-03-09T07:00:00Z",
            (3, 0),
        ),
        (
            America::Chicago,
            (2025, 3, 9),
            (2, 30),
            "2025-03-09T08:00:00Z",
            (3, 0),
        ),
        (
            America::Denver,
            (2025, 3, 9),
            (2, 30),
            "2025-03-09T09:00:00Z",
            (3, 0),
        ),
        (
            America::Los_Angeles,
            (2025, 3, 9),
            (2, 30),
            "2025-03-09T10:00:00Z",
            (3, 0),
        ),
        (
            Europe::London,
            (2025, 3, 30),
            (1, 30),
            "2025-03-30T01:00:00Z",
            (2, 0),
        ),
        (
            Europe::Berlin,
            (2025, 3, 30),
            (2, 30),
            "2025-03-30T01:00:00Z",
            (3, 0),
        ),
        // Southern hemisphere: clocks go forward in October.
        (
            Australia::Sydney,
            (2025, 10, 5),
            (2, 30),
            "2025-10-04T16:00:00Z",
            (3, 0),
        ),
        (
            America::New_York,
            (2026, 3, 8),
            (2, 0),
            "2026-03-08T07:00:00Z",
            (3, 0),
        ),
    ];

    /// (zone, day, a time inside the fold, the earlier instant, the later one)
    const FOLDS: [(Tz, Ymd, Hm, &str, &str); 8] = [
        (
            America::New_York,
            (2025, 11, 2),
            (1, 30),
            "2025-11-02T05:30:00Z",
            "2025-11-02T06:30:00Z",
        ),
        (
            America::Chicago,
            (2025, 11, 2),
            (1, 30),
            "2025-11-02T06:30:00Z",
            "2025-11-02T07:30:00Z",
        ),
        (
            America::Denver,
            (2025, 11, 2),
            (1, 30),
            "2025-11-02T07:30:00Z",
            "2025-11-02T08:30:00Z",
        ),
        (
            America::Los_Angeles,
            (2025, 11, 2),
            (1, 30),
            "2025-11-02T08:30:00Z",
            "2025-11-02T09:30:00Z",
        ),
        (
            Europe::London,
            (2025, 10, 26),
            (1, 30),
            "2025-10-26T00:30:00Z",
            "2025-10-26T01:30:00Z",
        ),
        (
            Europe::Berlin,
            (2025, 10, 26),
            (2, 30),
            "2025-10-26T00:30:00Z",
            "2025-10-26T01:30:00Z",
        ),
        // Southern hemisphere: clocks go back in April.
        (
            Australia::Sydney,
            (2025, 4, 6),
            (2, 30),
            "2025-04-05T15:30:00Z",
            "2025-04-05T16:30:00Z",
        ),
        (
            America::New_York,
            (2026, 11, 1),
            (1, 0),
            "2026-11-01T05:00:00Z",
            "2026-11-01T06:00:00Z",
        ),
    ];

    #[test]
    fn gaps_move_to_the_first_valid_minute_after() {
        for (zone, (y, m, d), (h, min), expected, (wall_h, wall_m)) in GAPS {
            let at = at_local(day(y, m, d), clock(h, min), zone);
            assert_eq!(at, utc(expected), "{zone} {y}-{m}-{d} {h}:{min}");
            assert_eq!(
                at.with_timezone(&zone).time(),
                clock(wall_h, wall_m),
                "{zone}"
            );
            assert!(all_at_local(day(y, m, d), clock(h, min), zone).is_empty());
        }
    }

    #[test]
    fn folds_take_the_earlier_instant() {
        for (zone, (y, m, d), (h, min), earlier, later) in FOLDS {
            let at = at_local(day(y, m, d), clock(h, min), zone);
            assert_eq!(at, utc(earlier), "{zone} {y}-{m}-{d}");
            assert_eq!(
                all_at_local(day(y, m, d), clock(h, min), zone),
                vec![utc(earlier), utc(later)],
                "{zone}"
            );
        }
    }

    #[test]
    fn arizona_has_neither_gap_nor_fold() {
        let phoenix = America::Phoenix;
        assert_eq!(
            at_local(day(2025, 3, 9), clock(2, 30), phoenix),
            utc("2025-03-09T09:30:00Z")
        );
        assert_eq!(
            at_local(day(2025, 11, 2), clock(1, 30), phoenix),
            utc("2025-11-02T08:30:00Z")
        );
        assert_eq!(
            at_local(day(2025, 7, 1), clock(9, 0), phoenix),
            utc("2025-07-01T16:00:00Z")
        );
    }

    /// Every minute of each transition day and the days either side: the
    /// wall time is the one asked for, except inside a gap, where it is the
    /// gap's end; and instants never go backwards as the asked time grows.
    #[test]
    fn every_minute_around_transitions() {
        let days = GAPS
            .iter()
            .map(|(zone, (y, m, d), ..)| (*zone, day(*y, *m, *d)))
            .chain(
                FOLDS
                    .iter()
                    .map(|(zone, (y, m, d), ..)| (*zone, day(*y, *m, *d))),
            )
            .chain([
                (America::Phoenix, day(2025, 3, 9)),
                (America::Phoenix, day(2025, 11, 2)),
            ]);
        for (zone, transition) in days {
            let mut previous: Option<DateTime<Utc>> = None;
            for date in [
                transition.pred_opt().unwrap(),
                transition,
                transition.succ_opt().unwrap(),
            ] {
                for minute in 0..24 * 60 {
                    let time = clock(minute / 60, minute % 60);
                    let at = at_local(date, time, zone);
                    let wall = at.with_timezone(&zone).naive_local();
                    if all_at_local(date, time, zone).is_empty() {
                        assert!(wall > date.and_time(time), "{zone} {date} {time}");
                        assert!(
                            wall - date.and_time(time) <= Duration::hours(1),
                            "{zone} {date} {time}"
                        );
                        assert_eq!(
                            wall.minute() % 30,
                            0,
                            "{zone} {date} {time}: gap ends on the hour"
                        );
                    } else {
                        assert_eq!(wall, date.and_time(time), "{zone} {date} {time}");
                    }
                    if let Some(previous) = previous {
                        assert!(at >= previous, "{zone} {date} {time}");
                    }
                    previous = Some(at);
                }
            }
        }
    }

    #[test]
    fn seconds_inside_a_gap_round_up_to_the_minute() {
        let time = NaiveTime::from_hms_opt(2, 59, 59).unwrap();
        assert_eq!(
            at_local(day(2025, 3, 9), time, America::New_York),
            utc("2025-03-09T07:00:00Z")
        );
    }
}
