//! Compares this crate with upstream chrono-tz 0.10.4 and with jiff itself:
//! every zone, every 3 h 17 min from 1970 (or `FROM`, seconds since the
//! epoch) to 2037, the UTC offset (and abbreviation) at each instant and how
//! the same wall time resolves (single, ambiguous, gap).
//! Run: `cargo run --release --example against_upstream` (in vendor/chrono-tz).
use chrono::{DateTime, Datelike, LocalResult, Offset, TimeZone, Timelike};
fn t_local(civil: &jiff::civil::DateTime, offset: jiff::tz::Offset) -> i64 { offset.to_timestamp(*civil).unwrap().as_second() }
use upstream::OffsetName as _;
fn main() {
    let mut jiff_diffs: Vec<String> = Vec::new();
    let (mut zones_diff, mut utc_checks, mut local_checks) = (Vec::new(), 0u64, 0u64);
    for (u, f) in upstream::TZ_VARIANTS.iter().zip(chrono_tz::TZ_VARIANTS.iter()) {
        assert_eq!(u.name(), f.name());
        let mut first_diff = None;
        let mut jiff_diff: Option<String> = None;
        // every 3 hours 1900..2037, utc -> offset and abbreviation
        let mut t: i64 = std::env::var("FROM").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        while t < 2_145_916_800 {
            let dt = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
            let ou = u.offset_from_utc_datetime(&dt);
            let of = f.offset_from_utc_datetime(&dt);
            utc_checks += 1;
            let au = ou.abbreviation().map(str::to_owned);
            let af = chrono_tz::OffsetName::abbreviation(&of).map(str::to_owned);
            let numeric = |a: &Option<String>| a.as_deref().map_or(true, |a| a.starts_with(['+', '-']));
            if ou.fix() != of.fix() || (au != af && !(numeric(&au) && numeric(&af))) {
                first_diff.get_or_insert(format!("utc {dt}: {} {:?} vs {} {:?}", ou.fix(), au, of.fix(), af));
            }
            // local: the same wall time
            let lu = u.from_local_datetime(&dt);
            let lf = f.from_local_datetime(&dt);
            local_checks += 1;
            let same = match (lu, lf) {
                (LocalResult::None, LocalResult::None) => true,
                (LocalResult::Single(a), LocalResult::Single(b)) => a.timestamp() == b.timestamp(),
                (LocalResult::Ambiguous(a, b), LocalResult::Ambiguous(c, d)) => a.timestamp() == c.timestamp() && b.timestamp() == d.timestamp(),
                _ => false,
            };
            if !same { first_diff.get_or_insert(format!("local {dt}: {lu:?} vs {lf:?}")); }
            // the fork against jiff itself: offset at the instant, and how the wall time resolves
            let zone = jiff::tz::TimeZone::get(f.name()).unwrap();
            let ts = jiff::Timestamp::from_second(t).unwrap();
            if zone.to_offset(ts).seconds() != of.fix().local_minus_utc() {
                jiff_diff.get_or_insert(format!("{}: utc {dt}", f.name()));
            }
            let civil = jiff::civil::DateTime::new(dt.year() as i16, dt.month() as i8, dt.day() as i8, dt.hour() as i8, dt.minute() as i8, 0, 0).unwrap();
            let amb = zone.to_ambiguous_timestamp(civil);
            let want = match amb.offset() {
                jiff::tz::AmbiguousOffset::Unambiguous { offset } => vec![t_local(&civil, offset)],
                jiff::tz::AmbiguousOffset::Gap { .. } => vec![],
                jiff::tz::AmbiguousOffset::Fold { before, after } => vec![t_local(&civil, before), t_local(&civil, after)],
            };
            let got = match lf { LocalResult::None => vec![], LocalResult::Single(a) => vec![a.timestamp()], LocalResult::Ambiguous(a, b) => vec![a.timestamp(), b.timestamp()] };
            if want != got { jiff_diff.get_or_insert(format!("{}: local {dt}: jiff {want:?} fork {got:?}", f.name())); }
            t += 3 * 3600 + 17 * 60; // drift across minutes
        }
        if let Some(d) = jiff_diff.take() { jiff_diffs.push(d); }
        if let Some(d) = first_diff { zones_diff.push(format!("{}: {d}", u.name())); }
    }
    println!("zones {} utc checks {utc_checks} local checks {local_checks} zones differing {}", upstream::TZ_VARIANTS.len(), zones_diff.len());
    for d in &zones_diff { println!("  {d}"); }
    println!("fork vs jiff: zones differing {}", jiff_diffs.len());
    for d in &jiff_diffs { println!("  {d}"); }
}
