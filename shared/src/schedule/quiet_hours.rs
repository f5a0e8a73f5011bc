//! The hours in which a recipient may be called, in their local time.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use mongodb::bson::Document;

use super::local_time::{all_at_local, at_local};
use super::ScheduleError;

/// The calling window: calls are allowed from `earliest` through `latest`
/// inclusive, local time; a call due outside it waits for the next allowed
/// minute. Default 08:00–21:00.
///
/// A user sets another window in their `preferences` document:
///
/// ```json
/// { "quietHours": { "start": "09:00", "end": "20:00" } }
/// ```
///
/// `start` is the earliest call time and `end` the latest, `HH:MM` on a
/// 24-hour clock, `start` before `end` (the window cannot span midnight).
/// Anything missing or malformed falls back to the default.
///
/// The federal floor and the state rules
/// ([`super::calling_hours`]) hold on top of this window unless the
/// owner sets `"callingRules": "off"` in `preferences`: for calls that are
/// not telephone solicitations, and for trying the system at any hour
/// (`docs/compliance.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    pub earliest: NaiveTime,
    pub latest: NaiveTime,
    /// Whether the federal floor and the state rules apply too.
    pub calling_rules: bool,
}

/// The `preferences` key holding a user's window.
pub const PREFERENCES_KEY: &str = "quietHours";

/// The `preferences` key that turns the federal and state calling-hours
/// rules off (`"off"`); anything else, or nothing, leaves them on.
pub const CALLING_RULES_KEY: &str = "callingRules";

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            earliest: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN),
            latest: NaiveTime::from_hms_opt(21, 0, 0).unwrap_or(NaiveTime::MIN),
            calling_rules: true,
        }
    }
}

impl QuietHours {
    /// A window from `earliest` through `latest`; `earliest` must be before
    /// `latest`.
    pub fn new(earliest: NaiveTime, latest: NaiveTime) -> Result<Self, ScheduleError> {
        if earliest < latest {
            Ok(Self {
                earliest,
                latest,
                calling_rules: true,
            })
        } else {
            Err(ScheduleError::InvalidQuietHours { earliest, latest })
        }
    }

    /// The window a user's `preferences` set (see [`QuietHours`]), else the
    /// default.
    pub fn from_preferences(preferences: Option<&Document>) -> QuietHours {
        let window = preferences
            .and_then(|preferences| preferences.get_document(PREFERENCES_KEY).ok())
            .and_then(|window| {
                let start = parse_clock(window.get_str("start").ok()?)?;
                let end = parse_clock(window.get_str("end").ok()?)?;
                Self::new(start, end).ok()
            })
            .unwrap_or_default();
        let off = preferences
            .and_then(|preferences| preferences.get_str(CALLING_RULES_KEY).ok())
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("off"));
        Self {
            calling_rules: !off,
            ..window
        }
    }

    /// True when `time` (local) is inside the window.
    pub fn allows(self, time: NaiveTime) -> bool {
        self.earliest <= time && time <= self.latest
    }

    /// `at` if its local time in `zone` is inside the window; before the
    /// window, that day's `earliest`; after it, the next day's `earliest`.
    /// Never earlier than `at`. A window edge that falls in a daylight-saving
    /// gap moves to the first valid minute after it ([`at_local`]).
    pub fn next_allowed(self, at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&zone);
        if self.allows(local.time()) {
            return at;
        }
        let today = local.date_naive();
        let first_day = if local.time() < self.earliest {
            Some(today)
        } else {
            today.checked_add_days(Days::new(1))
        };
        let mut date = first_day;
        // Two days always suffice with real zone data; a few more cost nothing.
        for _ in 0..4 {
            let Some(day) = date else { break };
            if let Some(opening) = self.opening_at_or_after(day, at, zone) {
                return opening;
            }
            date = day.checked_add_days(Days::new(1));
        }
        at
    }

    /// The first instant, not before `at`, allowed in every one of `zones`
    /// (for a recipient whose number spans zones,
    /// [`super::recipient_zone::zones_for_number`]); `None` when the windows
    /// never overlap (zones far apart). `at` itself for no zones.
    pub fn next_allowed_in_all(self, at: DateTime<Utc>, zones: &[Tz]) -> Option<DateTime<Utc>> {
        let mut candidate = at;
        // Each pass moves past a closed window of some zone; if a few days of
        // passes do not settle, the windows do not overlap.
        for _ in 0..(8 * zones.len().max(1)) {
            let moved = zones
                .iter()
                .fold(candidate, |at, zone| self.next_allowed(at, *zone));
            if moved == candidate {
                return Some(candidate);
            }
            candidate = moved;
        }
        None
    }

    /// The first instant on `day` at which the window opens that is not
    /// before `not_before`, if the window on `day` opens at all after it.
    fn opening_at_or_after(
        self,
        day: NaiveDate,
        not_before: DateTime<Utc>,
        zone: Tz,
    ) -> Option<DateTime<Utc>> {
        let mut candidates = all_at_local(day, self.earliest, zone);
        if candidates.is_empty() {
            candidates.push(at_local(day, self.earliest, zone));
        }
        candidates.into_iter().find(|candidate| {
            *candidate >= not_before
                && self.allows(candidate.with_timezone(&zone).time())
                && candidate.with_timezone(&zone).date_naive() == day
        })
    }
}

/// `HH:MM` (or `HH:MM:SS`), 24-hour clock, as automations store times.
fn parse_clock(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use chrono_tz::{America, Australia, Europe};
    use mongodb::bson::doc;

    fn clock(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn default_is_eight_to_nine() {
        let quiet = QuietHours::default();
        assert_eq!((quiet.earliest, quiet.latest), (clock(8, 0), clock(21, 0)));
    }

    #[test]
    fn new_refuses_an_empty_or_inverted_window() {
        assert!(QuietHours::new(clock(9, 0), clock(17, 0)).is_ok());
        assert_eq!(
            QuietHours::new(clock(21, 0), clock(8, 0)),
            Err(ScheduleError::InvalidQuietHours {
                earliest: clock(21, 0),
                latest: clock(8, 0)
            })
        );
        assert!(QuietHours::new(clock(9, 0), clock(9, 0)).is_err());
    }

    #[test]
    fn preferences_set_the_window() {
        let prefs = doc! { "quietHours": { "start": "09:30", "end": "19:00" }, "other": 1 };
        assert_eq!(
            QuietHours::from_preferences(Some(&prefs)),
            QuietHours::new(clock(9, 30), clock(19, 0)).unwrap()
        );
    }

    #[test]
    fn calling_rules_stay_on_unless_turned_off() {
        assert!(QuietHours::from_preferences(None).calling_rules);
        for (prefs, on) in [
            (doc! { "callingRules": "off" }, false),
            (doc! { "callingRules": " OFF " }, false),
            (doc! { "callingRules": "on" }, true),
            (doc! { "callingRules": false }, true),
            (
                doc! { "quietHours": { "start": "00:00", "end": "23:59" } },
                true,
            ),
        ] {
            assert_eq!(
                QuietHours::from_preferences(Some(&prefs)).calling_rules,
                on,
                "{prefs}"
            );
        }
    }

    #[test]
    fn malformed_preferences_fall_back_to_the_default() {
        let default = QuietHours::default();
        assert_eq!(QuietHours::from_preferences(None), default);
        for prefs in [
            doc! {},
            doc! { "quietHours": "9-5" },
            doc! { "quietHours": { "start": "09:00" } },
            doc! { "quietHours": { "start": "9am", "end": "17:00" } },
            doc! { "quietHours": { "start": "22:00", "end": "07:00" } },
            doc! { "quietHours": { "start": 9, "end": 17 } },
            doc! { "quietHours": { "start": "25:00", "end": "17:00" } },
        ] {
            assert_eq!(
                QuietHours::from_preferences(Some(&prefs)),
                default,
                "{prefs}"
            );
        }
    }

    #[test]
    fn window_edges() {
        let quiet = QuietHours::default();
        let ny = America::New_York;
        // (local time asked, local result: same day or next day at h:m)
        let cases = [
            ((7, 59), (0, 8, 0)),
            ((8, 0), (0, 8, 0)),
            ((0, 0), (0, 8, 0)),
            ((12, 0), (0, 12, 0)),
            ((21, 0), (0, 21, 0)),
            ((21, 1), (1, 8, 0)),
            ((23, 59), (1, 8, 0)),
        ];
        for ((h, m), (next_day, eh, em)) in cases {
            let at = local(ny, 2025, 6, 10, h, m);
            let expected = local(ny, 2025, 6, 10 + next_day, eh, em);
            assert_eq!(quiet.next_allowed(at, ny), expected, "{h}:{m}");
        }
        // Seconds count: 21:00:30 is past the window, 07:59:59 is before it.
        let late = local(ny, 2025, 6, 10, 21, 0) + Duration::seconds(30);
        assert_eq!(quiet.next_allowed(late, ny), local(ny, 2025, 6, 11, 8, 0));
        let early = local(ny, 2025, 6, 10, 8, 0) - Duration::seconds(1);
        assert_eq!(quiet.next_allowed(early, ny), local(ny, 2025, 6, 10, 8, 0));
    }

    #[test]
    fn window_edges_on_transition_days() {
        let quiet = QuietHours::default();
        for (zone, spring, fall) in [
            (America::New_York, (2025, 3, 9), (2025, 11, 2)),
            (America::Los_Angeles, (2025, 3, 9), (2025, 11, 2)),
            (Europe::London, (2025, 3, 30), (2025, 10, 26)),
            (Australia::Sydney, (2025, 10, 5), (2025, 4, 6)),
        ] {
            for (y, m, d) in [spring, fall] {
                // 02:30 (maybe in the gap or fold) and 07:59 wait for 08:00.
                let eight = local(zone, y, m, d, 8, 0);
                for at in [local(zone, y, m, d, 0, 30), local(zone, y, m, d, 7, 59)] {
                    assert_eq!(quiet.next_allowed(at, zone), eight, "{zone} {y}-{m}-{d}");
                }
                assert_eq!(quiet.next_allowed(eight, zone), eight);
                let nine_pm = local(zone, y, m, d, 21, 0);
                assert_eq!(quiet.next_allowed(nine_pm, zone), nine_pm);
                let after = local(zone, y, m, d, 21, 1);
                let next_morning = local(zone, y, m, d + 1, 8, 0);
                assert_eq!(
                    quiet.next_allowed(after, zone),
                    next_morning,
                    "{zone} {y}-{m}-{d}"
                );
                // The day before the transition, late: next morning is the transition day.
                let eve = local(zone, y, m, d - 1, 22, 0);
                assert_eq!(quiet.next_allowed(eve, zone), eight, "{zone} {y}-{m}-{d}");
            }
        }
    }

    #[test]
    fn window_edge_inside_a_gap_moves_after_it() {
        // A night-shift window opening at 02:30: on spring-forward day that
        // time does not exist, so it opens at 03:00.
        let quiet = QuietHours::new(clock(2, 30), clock(6, 0)).unwrap();
        let ny = America::New_York;
        let at = local(ny, 2025, 3, 9, 1, 0);
        assert_eq!(quiet.next_allowed(at, ny), local(ny, 2025, 3, 9, 3, 0));
    }

    #[test]
    fn window_edge_inside_a_fold_never_goes_back() {
        // Opening at 01:30 on fall-back day: the first 01:30 if still ahead,
        // the second if the first has passed.
        let quiet = QuietHours::new(clock(1, 30), clock(6, 0)).unwrap();
        let ny = America::New_York;
        let first_0130 = Utc.with_ymd_and_hms(2025, 11, 2, 5, 30, 0).unwrap();
        let second_0115 = Utc.with_ymd_and_hms(2025, 11, 2, 6, 15, 0).unwrap();
        let second_0130 = Utc.with_ymd_and_hms(2025, 11, 2, 6, 30, 0).unwrap();
        let before = Utc.with_ymd_and_hms(2025, 11, 2, 4, 0, 0).unwrap();
        assert_eq!(quiet.next_allowed(before, ny), first_0130);
        assert_eq!(quiet.next_allowed(second_0115, ny), second_0130);
    }

    #[test]
    fn allowed_in_every_zone() {
        let quiet = QuietHours::default();
        let zones = [America::Adak, America::Anchorage];
        // 08:00 in Anchorage is 07:00 in Adak: wait for 08:00 in Adak.
        let at = local(America::Anchorage, 2025, 6, 10, 8, 0);
        assert_eq!(
            quiet.next_allowed_in_all(at, &zones),
            Some(local(America::Adak, 2025, 6, 10, 8, 0))
        );
        // 21:30 in Anchorage (20:30 in Adak): next morning in Adak.
        let late = local(America::Anchorage, 2025, 6, 10, 21, 30);
        assert_eq!(
            quiet.next_allowed_in_all(late, &zones),
            Some(local(America::Adak, 2025, 6, 11, 8, 0))
        );
        // Inside both: unchanged.
        let noon = local(America::Anchorage, 2025, 6, 10, 12, 0);
        assert_eq!(quiet.next_allowed_in_all(noon, &zones), Some(noon));
        assert_eq!(quiet.next_allowed_in_all(noon, &[]), Some(noon));
        // Windows that never overlap: 12 hours apart, 4-hour windows.
        let short = QuietHours::new(clock(9, 0), clock(13, 0)).unwrap();
        let apart = [chrono_tz::Etc::GMTPlus6, chrono_tz::Etc::GMTMinus6];
        assert_eq!(short.next_allowed_in_all(noon, &apart), None);
    }

    #[test]
    fn zones_matter() {
        // 13:00 UTC is 09:00 in New York but 06:00 in Los Angeles.
        let quiet = QuietHours::default();
        let at = Utc.with_ymd_and_hms(2025, 6, 10, 13, 0, 0).unwrap();
        assert_eq!(quiet.next_allowed(at, America::New_York), at);
        assert_eq!(
            quiet.next_allowed(at, America::Los_Angeles),
            local(America::Los_Angeles, 2025, 6, 10, 8, 0)
        );
    }

    /// Every minute of 2025 in New York (both transitions) and in Sydney
    /// with a custom window: the result is inside the window, not before
    /// the input, unchanged when the input was allowed, never further away than
    /// the closed hours, and stable.
    #[test]
    fn every_minute_of_a_year() {
        let custom = QuietHours::new(clock(9, 15), clock(17, 45)).unwrap();
        for (zone, quiet) in [
            (America::New_York, QuietHours::default()),
            (Australia::Sydney, custom),
        ] {
            let start = local(zone, 2025, 1, 1, 0, 0);
            let end = local(zone, 2026, 1, 1, 0, 0);
            let mut at = start;
            while at < end {
                let next = quiet.next_allowed(at, zone);
                let wall = next.with_timezone(&zone).time();
                assert!(quiet.allows(wall), "{zone} {at}: {next}");
                assert!(next >= at, "{zone} {at}: {next}");
                if quiet.allows(at.with_timezone(&zone).time()) {
                    assert_eq!(next, at, "{zone} {at}");
                } else {
                    assert_eq!(wall, quiet.earliest, "{zone} {at}");
                }
                // At most the closed part of the day, plus a DST hour.
                let closed = Duration::hours(25) - (quiet.latest - quiet.earliest);
                assert!(next - at <= closed, "{zone} {at}: {next}");
                at += Duration::minutes(1);
            }
        }
    }
}
