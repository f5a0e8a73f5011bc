//! Per-recipient frequency caps: a number is called at most `calls` times
//! in any `days` days, across all of a business's automations. The caps
//! are data (`preferences.callCaps`), not law: the default (1 a day, 3 in
//! 7 days) is HeyWay's choice (`docs/compliance.md`).

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::{Bson, Document};

/// The preferences key: `[{calls, days}, …]`; `[]` turns caps off.
pub const PREFERENCES_KEY: &str = "callCaps";

/// At most `calls` calls in any `days` days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    pub calls: u32,
    pub days: u32,
}

/// A business's caps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrequencyCaps(pub Vec<Cap>);

impl Default for FrequencyCaps {
    /// 1 call a day and 3 in 7 days.
    fn default() -> Self {
        Self(vec![Cap { calls: 1, days: 1 }, Cap { calls: 3, days: 7 }])
    }
}

impl FrequencyCaps {
    /// The caps in `preferences.callCaps`; the default when absent or
    /// unreadable (a cap needs whole `calls` and `days` of at least 1).
    pub fn from_preferences(preferences: Option<&Document>) -> Self {
        let Some(Ok(list)) = preferences.map(|p| p.get_array(PREFERENCES_KEY)) else {
            return Self::default();
        };
        let caps: Option<Vec<Cap>> = list
            .iter()
            .map(|item| {
                let item = item.as_document()?;
                let whole = |key: &str| -> Option<u32> {
                    let n = match item.get(key)? {
                        Bson::Int32(n) => i64::from(*n),
                        Bson::Int64(n) => *n,
                        Bson::Double(n) if n.fract() == 0.0 => *n as i64,
                        _ => return None,
                    };
                    u32::try_from(n).ok().filter(|n| (1..=366).contains(n))
                };
                Some(Cap {
                    calls: whole("calls")?,
                    days: whole("days")?,
                })
            })
            .collect();
        caps.map_or_else(Self::default, Self)
    }

    /// How many past calls the caps need to remember.
    pub fn remembered(&self) -> usize {
        self.0
            .iter()
            .map(|cap| cap.calls as usize)
            .max()
            .unwrap_or(0)
    }

    /// `None` when a call at `now` is within every cap, given the earlier
    /// calls at `times`; else the first instant it would be.
    pub fn next_allowed(
        &self,
        times: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut at = now;
        // Moving past one cap's window never brings back another's calls,
        // so this settles within one step per cap.
        for _ in 0..=self.0.len() {
            let blocked = self
                .0
                .iter()
                .filter_map(|cap| cap.frees_at(times, at))
                .max();
            match blocked {
                Some(free) => at = free,
                None => return (at > now).then_some(at),
            }
        }
        Some(at)
    }
}

impl Cap {
    /// `None` when a call at `at` is within this cap; else when the oldest
    /// call that keeps it full leaves the window.
    fn frees_at(self, times: &[DateTime<Utc>], at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let window = Duration::days(i64::from(self.days));
        let mut inside: Vec<DateTime<Utc>> = times
            .iter()
            .copied()
            .filter(|t| *t <= at && at - *t < window)
            .collect();
        let calls = self.calls as usize;
        if inside.len() < calls {
            return None;
        }
        inside.sort();
        Some(inside[inside.len() - calls] + window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn default_is_one_a_day_and_three_a_week() {
        let caps = FrequencyCaps::from_preferences(None);
        assert_eq!(caps, FrequencyCaps::default());
        let now = at("2026-11-30T15:00:00Z");
        assert_eq!(caps.next_allowed(&[], now), None);
        // One call this morning: tomorrow at the same time.
        let morning = at("2026-11-30T10:00:00Z");
        assert_eq!(
            caps.next_allowed(&[morning], now),
            Some(at("2026-12-01T10:00:00Z"))
        );
        // Three in the week, the oldest 6 days ago: when it leaves the week.
        let week = [
            at("2026-11-24T09:00:00Z"),
            at("2026-11-26T09:00:00Z"),
            at("2026-11-28T09:00:00Z"),
        ];
        assert_eq!(
            caps.next_allowed(&week, now),
            Some(at("2026-12-01T09:00:00Z"))
        );
        // Yesterday's call no longer counts toward the day.
        assert_eq!(caps.next_allowed(&[at("2026-11-29T14:59:00Z")], now), None);
    }

    #[test]
    fn preferences_set_or_turn_off_the_caps() {
        let prefs = doc! { "callCaps": [{ "calls": 2, "days": 1 }] };
        let caps = FrequencyCaps::from_preferences(Some(&prefs));
        assert_eq!(caps.0, [Cap { calls: 2, days: 1 }]);
        let now = at("2026-11-30T15:00:00Z");
        assert_eq!(caps.next_allowed(&[at("2026-11-30T10:00:00Z")], now), None);
        let off = doc! { "callCaps": [] };
        let caps = FrequencyCaps::from_preferences(Some(&off));
        assert_eq!(caps.next_allowed(&[now, now, now], now), None);
        assert_eq!(caps.remembered(), 0);
        // Unreadable: the default, not no caps.
        let bad = doc! { "callCaps": [{ "calls": 0, "days": 1 }] };
        assert_eq!(
            FrequencyCaps::from_preferences(Some(&bad)),
            FrequencyCaps::default()
        );
    }
}
