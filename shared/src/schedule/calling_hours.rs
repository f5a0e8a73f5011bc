//! The hours, days and holidays on which a recipient may be called by
//! law: the federal floor (08:00–21:00 at the called party's location)
//! and the stricter rules of some US states, kept as data in
//! `shared/data/calling_hours.txt` (one row a state, each with its source
//! and the date it was checked; `heyway calling-rules` prints it).
//!
//! [`CallingHours`] joins them with the owner's own window
//! ([`QuietHours`]): a call may ring only when every one allows it, in
//! every zone the recipient may be in. The evaluator's plan, the preview,
//! callbacks and the dialer's last check all ask it.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::local_time::at_local;
use super::QuietHours;

const DATA: &str = include_str!("../../data/calling_hours.txt");

/// The row holding the federal floor.
pub const FEDERAL: &str = "US";

/// Days looked ahead for an opening (a Sunday, then a holiday Monday...).
const LOOKAHEAD_DAYS: u64 = 14;

/// A day's allowed hours, both ends allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hours {
    Closed,
    Open { from: NaiveTime, to: NaiveTime },
}

/// The federal holidays a row may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holiday {
    NewYear,
    Mlk,
    Presidents,
    Memorial,
    Juneteenth,
    Independence,
    Labor,
    Columbus,
    Veterans,
    Thanksgiving,
    Christmas,
    /// A fixed month and day.
    Fixed {
        month: u32,
        day: u32,
    },
}

/// How sure the row is (see the data file's header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Certainty {
    Law,
    Uncertain,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRule {
    /// Two-letter code; `US` for the federal floor.
    pub state: &'static str,
    pub weekdays: Hours,
    pub saturday: Hours,
    pub sunday: Hours,
    /// Days on which no call is allowed.
    pub closed_holidays: Vec<Holiday>,
    /// The holidays column as written.
    pub holidays_text: &'static str,
    pub certainty: Certainty,
    pub source: &'static str,
    pub checked: NaiveDate,
    pub note: &'static str,
}

/// The whole table, parsed once.
pub fn rules() -> &'static [StateRule] {
    static RULES: OnceLock<Vec<StateRule>> = OnceLock::new();
    RULES.get_or_init(|| parse(DATA).unwrap_or_default())
}

/// The federal floor's row.
pub fn federal() -> Option<&'static StateRule> {
    for_state(FEDERAL)
}

/// The row of `state` (two-letter code), if it has one.
pub fn for_state(state: &str) -> Option<&'static StateRule> {
    rules().iter().find(|rule| rule.state == state)
}

impl StateRule {
    /// The hours allowed on `day` (local).
    pub fn hours_on(&self, day: NaiveDate) -> Hours {
        if self.closed_holidays.iter().any(|h| h.falls_on(day)) {
            return Hours::Closed;
        }
        match day.weekday() {
            Weekday::Sat => self.saturday,
            Weekday::Sun => self.sunday,
            _ => self.weekdays,
        }
    }

    /// `at` if this row allows it in `zone`, else the next allowed instant
    /// within [`LOOKAHEAD_DAYS`]; `None` if there is none.
    pub fn next_allowed(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone);
        let today = local.date_naive();
        let mut day = Some(today);
        for _ in 0..=LOOKAHEAD_DAYS {
            let date = day?;
            if let Hours::Open { from, to } = self.hours_on(date) {
                if date == today && from <= local.time() && local.time() <= to {
                    return Some(at);
                }
                let opening = at_local(date, from, zone);
                let opening_local = opening.with_timezone(&zone);
                if opening >= at && opening_local.date_naive() == date && opening_local.time() <= to
                {
                    return Some(opening);
                }
            }
            day = date.checked_add_days(Days::new(1));
        }
        None
    }
}

/// Every window a call must fall in: the owner's, the federal floor's and
/// the recipient's state's.
#[derive(Clone, Copy, Debug)]
pub struct CallingHours {
    pub quiet: QuietHours,
    /// The recipient's state's row, if their state has one.
    pub state: Option<&'static StateRule>,
}

impl CallingHours {
    /// The windows for a recipient in `state` (two-letter code, if known).
    pub fn new(quiet: QuietHours, state: Option<&str>) -> Self {
        Self {
            quiet,
            state: state
                .and_then(for_state)
                .filter(|rule| rule.state != FEDERAL),
        }
    }

    /// True when the federal floor and the state rules apply (the owner
    /// did not turn them off, [`QuietHours::calling_rules`]).
    pub fn rules_apply(&self) -> bool {
        self.quiet.calling_rules
    }

    /// The first instant, not before `at`, every window allows in every
    /// one of `zones`; `None` when none comes within a few weeks.
    pub fn next_allowed_in_all(&self, at: DateTime<Utc>, zones: &[Tz]) -> Option<DateTime<Utc>> {
        self.settle(at, zones, true)
    }

    /// [`Self::next_allowed_in_all`] without the state's row: what the
    /// owner's window and the federal floor alone allow.
    pub fn without_state(&self, at: DateTime<Utc>, zones: &[Tz]) -> Option<DateTime<Utc>> {
        self.settle(at, zones, false)
    }

    fn settle(&self, at: DateTime<Utc>, zones: &[Tz], with_state: bool) -> Option<DateTime<Utc>> {
        let rows: Vec<&StateRule> = if self.rules_apply() {
            federal()
                .into_iter()
                .chain(self.state.filter(|_| with_state))
                .collect()
        } else {
            Vec::new()
        };
        let mut candidate = at;
        for _ in 0..(16 * zones.len().max(1)) {
            let mut moved = self.quiet.next_allowed_in_all(candidate, zones)?;
            for zone in zones {
                for row in &rows {
                    moved = row.next_allowed(moved, *zone)?;
                }
            }
            if moved == candidate {
                return Some(candidate);
            }
            candidate = moved;
        }
        None
    }
}

impl Holiday {
    fn parse(text: &str) -> Option<Vec<Holiday>> {
        use Holiday::*;
        let one = match text.trim() {
            "federal" => {
                return Some(vec![
                    NewYear,
                    Mlk,
                    Presidents,
                    Memorial,
                    Juneteenth,
                    Independence,
                    Labor,
                    Columbus,
                    Veterans,
                    Thanksgiving,
                    Christmas,
                ])
            }
            "newyear" => NewYear,
            "mlk" => Mlk,
            "presidents" => Presidents,
            "memorial" => Memorial,
            "juneteenth" => Juneteenth,
            "independence" => Independence,
            "labor" => Labor,
            "columbus" => Columbus,
            "veterans" => Veterans,
            "thanksgiving" => Thanksgiving,
            "christmas" => Christmas,
            fixed => {
                let (month, day) = fixed.split_once('-')?;
                let (month, day) = (month.parse().ok()?, day.parse().ok()?);
                NaiveDate::from_ymd_opt(2024, month, day)?;
                Fixed { month, day }
            }
        };
        Some(vec![one])
    }

    /// True when the holiday falls on `day` (its own date, not the
    /// weekday it may be observed on).
    pub fn falls_on(self, day: NaiveDate) -> bool {
        use Holiday::*;
        let (m, d) = (day.month(), day.day());
        let nth = |weekday: Weekday, n: u8| {
            NaiveDate::from_weekday_of_month_opt(day.year(), m, weekday, n) == Some(day)
        };
        let last = |weekday: Weekday| {
            day.weekday() == weekday
                && day.checked_add_days(Days::new(7)).map(|d| d.month()) != Some(m)
        };
        match self {
            NewYear => (m, d) == (1, 1),
            Mlk => m == 1 && nth(Weekday::Mon, 3),
            Presidents => m == 2 && nth(Weekday::Mon, 3),
            Memorial => m == 5 && last(Weekday::Mon),
            Juneteenth => (m, d) == (6, 19),
            Independence => (m, d) == (7, 4),
            Labor => m == 9 && nth(Weekday::Mon, 1),
            Columbus => m == 10 && nth(Weekday::Mon, 2),
            Veterans => (m, d) == (11, 11),
            Thanksgiving => m == 11 && nth(Weekday::Thu, 4),
            Christmas => (m, d) == (12, 25),
            Fixed { month, day } => (m, d) == (month, day),
        }
    }
}

impl Hours {
    fn parse(text: &str) -> Option<Hours> {
        let text = text.trim();
        if text == "closed" {
            return Some(Hours::Closed);
        }
        let (from, to) = text.split_once('-')?;
        let from = NaiveTime::parse_from_str(from.trim(), "%H:%M").ok()?;
        let to = NaiveTime::parse_from_str(to.trim(), "%H:%M").ok()?;
        (from < to).then_some(Hours::Open { from, to })
    }

    /// `08:00-20:00` or `closed`, as the table writes it.
    pub fn display(self) -> String {
        match self {
            Hours::Closed => "closed".to_string(),
            Hours::Open { from, to } => format!("{}-{}", from.format("%H:%M"), to.format("%H:%M")),
        }
    }
}

impl Certainty {
    pub fn as_str(self) -> &'static str {
        match self {
            Certainty::Law => "law",
            Certainty::Uncertain => "uncertain",
        }
    }
}

/// A malformed row: its line and why.
#[derive(Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub reason: String,
}

/// Parses the table; every row must be well formed.
pub fn parse(data: &'static str) -> Result<Vec<StateRule>, RowError> {
    let mut rows = Vec::new();
    for (index, line) in data.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let error = |reason: &str| RowError {
            line: index + 1,
            reason: reason.to_string(),
        };
        let fields: Vec<&'static str> = line.split('|').map(str::trim).collect();
        let [state, weekdays, saturday, sunday, holidays, status, source, checked, note] =
            fields[..]
        else {
            return Err(error("want 9 `|`-separated fields"));
        };
        if state.len() != 2 || !state.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(error("state: two capital letters"));
        }
        let hours = |text| Hours::parse(text).ok_or_else(|| error("hours: HH:MM-HH:MM or closed"));
        let closed_holidays = match holidays {
            "-" => Vec::new(),
            list => {
                let names = list
                    .strip_prefix("closed:")
                    .ok_or_else(|| error("holidays: - or closed:..."))?;
                let mut all = Vec::new();
                for name in names.split(',') {
                    all.extend(
                        Holiday::parse(name).ok_or_else(|| error("holidays: unknown name"))?,
                    );
                }
                all
            }
        };
        let certainty = match status {
            "law" => Certainty::Law,
            "uncertain" => Certainty::Uncertain,
            _ => return Err(error("status: law or uncertain")),
        };
        if !source.starts_with("https://") {
            return Err(error("source: an https URL"));
        }
        let checked = NaiveDate::parse_from_str(checked, "%Y-%m-%d")
            .map_err(|_| error("checked: YYYY-MM-DD"))?;
        rows.push(StateRule {
            state,
            weekdays: hours(weekdays)?,
            saturday: hours(saturday)?,
            sunday: hours(sunday)?,
            closed_holidays,
            holidays_text: holidays,
            certainty,
            source,
            checked,
            note,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use chrono_tz::America::{Chicago, Denver, New_York};

    fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_table_parses_and_holds_the_federal_floor() {
        let rows = parse(DATA).unwrap();
        assert_eq!(rows.len(), rules().len());
        let federal = federal().unwrap();
        let eight_to_nine = Hours::parse("08:00-21:00").unwrap();
        assert_eq!(
            [federal.weekdays, federal.saturday, federal.sunday],
            [eight_to_nine; 3]
        );
        // Every state row is at least as strict as the floor on every day.
        for row in rows.iter().filter(|r| r.state != FEDERAL) {
            for hours in [row.weekdays, row.saturday, row.sunday] {
                if let Hours::Open { from, to } = hours {
                    assert!(
                        from >= NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                        "{}",
                        row.state
                    );
                    assert!(
                        to <= NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
                        "{}",
                        row.state
                    );
                }
            }
            assert!(row.source.starts_with("https://"), "{}", row.state);
            assert!(row.checked.year() >= 2026, "{}", row.state);
        }
        let mut states: Vec<&str> = rows.iter().map(|r| r.state).collect();
        states.sort();
        states.dedup();
        assert_eq!(states.len(), rows.len(), "one row a state");
    }

    #[test]
    fn malformed_rows_are_refused_with_their_line() {
        let bad = "# header\nFL|08:00-20:00|08:00-20:00|08:00-20:00|-|law|https://x|2026-12-07\n";
        assert_eq!(parse(bad).unwrap_err().line, 2);
        let inverted = "FL|20:00-08:00|closed|closed|-|law|https://x|2026-12-07|n\n";
        assert!(parse(inverted).is_err());
        let holiday = "FL|08:00-20:00|closed|closed|closed:easter|law|https://x|2026-12-07|n\n";
        assert!(parse(holiday).is_err());
        let status = "FL|08:00-20:00|closed|closed|-|maybe|https://x|2026-12-07|n\n";
        assert!(parse(status).is_err());
        let ok = "FL|08:00-20:00|closed|closed|closed:federal,07-24|law|https://x|2026-12-07|n\n";
        assert_eq!(parse(ok).unwrap()[0].closed_holidays.len(), 12);
    }

    #[test]
    fn holidays_fall_on_their_dates() {
        use Holiday::*;
        for (holiday, date) in [
            (NewYear, day(2026, 1, 1)),
            (Mlk, day(2026, 1, 19)),
            (Presidents, day(2026, 2, 16)),
            (Memorial, day(2026, 5, 25)),
            (Juneteenth, day(2026, 6, 19)),
            (Independence, day(2026, 7, 4)),
            (Labor, day(2026, 9, 7)),
            (Columbus, day(2026, 10, 12)),
            (Veterans, day(2026, 11, 11)),
            (Thanksgiving, day(2026, 11, 26)),
            (Christmas, day(2026, 12, 25)),
            (Memorial, day(2027, 5, 31)),
            (Thanksgiving, day(2027, 11, 25)),
        ] {
            assert!(holiday.falls_on(date), "{holiday:?} {date}");
            assert!(
                !holiday.falls_on(date - Duration::days(7)),
                "{holiday:?} {date}"
            );
            assert!(
                !holiday.falls_on(date + Duration::days(1)),
                "{holiday:?} {date}"
            );
        }
    }

    #[test]
    fn a_strict_state_defers_what_the_floor_allows() {
        let quiet = QuietHours::default();
        let florida = CallingHours::new(quiet, Some("FL"));
        let new_york = CallingHours::new(quiet, Some("NY"));
        assert!(new_york.state.is_none(), "NY has no row: federal only");
        // Tuesday 2026-12-08 20:30 Eastern.
        let evening = local(New_York, 2026, 12, 8, 20, 30);
        assert_eq!(
            new_york.next_allowed_in_all(evening, &[New_York]),
            Some(evening)
        );
        assert_eq!(
            florida.next_allowed_in_all(evening, &[New_York]),
            Some(local(New_York, 2026, 12, 9, 8, 0))
        );
        assert_eq!(florida.without_state(evening, &[New_York]), Some(evening));
        // 20:00 itself is allowed (both ends allowed).
        let eight_pm = local(New_York, 2026, 12, 8, 20, 0);
        assert_eq!(
            florida.next_allowed_in_all(eight_pm, &[New_York]),
            Some(eight_pm)
        );
    }

    #[test]
    fn sundays_and_holidays() {
        let quiet = QuietHours::default();
        // Texas: Sunday from noon.
        let texas = CallingHours::new(quiet, Some("TX"));
        let sunday_morning = local(Chicago, 2026, 12, 6, 10, 0);
        assert_eq!(
            texas.next_allowed_in_all(sunday_morning, &[Chicago]),
            Some(local(Chicago, 2026, 12, 6, 12, 0))
        );
        // Saturday 08:30: wait for 09:00.
        let saturday = local(Chicago, 2026, 12, 5, 8, 30);
        assert_eq!(
            texas.next_allowed_in_all(saturday, &[Chicago]),
            Some(local(Chicago, 2026, 12, 5, 9, 0))
        );
        // Louisiana: no Sunday; Saturday evening waits for Monday 08:00.
        let louisiana = CallingHours::new(quiet, Some("LA"));
        let saturday_night = local(Chicago, 2026, 12, 5, 20, 30);
        assert_eq!(
            louisiana.next_allowed_in_all(saturday_night, &[Chicago]),
            Some(local(Chicago, 2026, 12, 7, 8, 0))
        );
        // Christmas Friday 2026: Louisiana waits for Saturday.
        let christmas = local(Chicago, 2026, 12, 25, 10, 0);
        assert_eq!(
            louisiana.next_allowed_in_all(christmas, &[Chicago]),
            Some(local(Chicago, 2026, 12, 26, 8, 0))
        );
        // Utah: Pioneer Day (Friday 2026-07-24) and the weekend's Sunday.
        let utah = CallingHours::new(quiet, Some("UT"));
        let pioneer_day = local(Denver, 2026, 7, 24, 9, 0);
        assert_eq!(
            utah.next_allowed_in_all(pioneer_day, &[Denver]),
            Some(local(Denver, 2026, 7, 25, 8, 0))
        );
        // The federal floor alone: Sunday morning is fine.
        let federal_only = CallingHours::new(quiet, None);
        assert_eq!(
            federal_only.next_allowed_in_all(sunday_morning, &[Chicago]),
            Some(sunday_morning)
        );
    }

    #[test]
    fn the_floor_holds_over_a_wider_owner_window() {
        let wide = QuietHours::new(
            NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
        )
        .unwrap();
        let hours = CallingHours::new(wide, None);
        let early = local(New_York, 2026, 12, 8, 7, 0);
        assert_eq!(
            hours.next_allowed_in_all(early, &[New_York]),
            Some(local(New_York, 2026, 12, 8, 8, 0))
        );
        let late = local(New_York, 2026, 12, 8, 22, 0);
        assert_eq!(
            hours.next_allowed_in_all(late, &[New_York]),
            Some(local(New_York, 2026, 12, 9, 8, 0))
        );
    }

    #[test]
    fn the_owner_may_turn_the_rules_off() {
        let all_day = QuietHours::from_preferences(Some(&mongodb::bson::doc! {
            "quietHours": { "start": "00:00", "end": "23:59" }, "callingRules": "off",
        }));
        let hours = CallingHours::new(all_day, Some("LA"));
        let sunday_night = local(Chicago, 2026, 12, 6, 22, 0);
        assert_eq!(
            hours.next_allowed_in_all(sunday_night, &[Chicago]),
            Some(sunday_night)
        );
        // Left on, the same window still keeps the floor and the state.
        let on = QuietHours {
            calling_rules: true,
            ..all_day
        };
        assert_eq!(
            CallingHours::new(on, Some("LA")).next_allowed_in_all(sunday_night, &[Chicago]),
            Some(local(Chicago, 2026, 12, 7, 8, 0))
        );
    }

    /// Every quarter hour of 2026 for each state row in its zone: the
    /// result is allowed by the row, not before the input, and stable.
    #[test]
    fn every_quarter_hour_of_a_year() {
        let quiet = QuietHours::default();
        for (state, zone) in [
            ("FL", New_York),
            ("LA", Chicago),
            ("UT", Denver),
            ("TX", Chicago),
        ] {
            let hours = CallingHours::new(quiet, Some(state));
            let row = hours.state.unwrap();
            let mut at = local(zone, 2026, 1, 1, 0, 0);
            let end = local(zone, 2027, 1, 1, 0, 0);
            while at < end {
                let next = hours.next_allowed_in_all(at, &[zone]).unwrap();
                assert!(next >= at, "{state} {at}");
                assert_eq!(row.next_allowed(next, zone), Some(next), "{state} {at}");
                assert_eq!(hours.next_allowed_in_all(next, &[zone]), Some(next));
                assert!(next - at < Duration::days(4), "{state} {at}: {next}");
                at += Duration::minutes(15);
            }
        }
    }
}
