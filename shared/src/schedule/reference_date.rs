//! The date a relative automation counts from, per contact.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use mongodb::bson::{Bson, Document};

use crate::model::Contact;

/// Years a date from a contact field may have; anything else is a typo or
/// a number that is not a date.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// The calendar day a stored value names.
///
/// - BSON dates: the day in `zone`.
/// - Text, in the common forms imports and the old app wrote:
///   `2025-09-10`, RFC 3339 / ISO 8601 date-times (`2025-09-10T14:00:00Z`,
///   `2025-09-10T00:00:00.000-04:00`: the day in their own offset, which is
///   the day the writer meant), `2025-09-10 14:00:00`, RFC 2822,
///   `09/10/2025`, `9/10/2025`, `09/10/25`, `09-10-2025`, `2025/09/10`,
///   `Sep 10, 2025`, `September 10, 2025`, `Sept 10 2025`, `10 Sep 2025`,
///   `10 September 2025`. Numeric day-month orders are read US style
///   (month first); a first number over 12 is read as a day
///   (`31/12/2025`). Two-digit years are 2000–2068 for 00–68, 1969–1999
///   for 69–99.
/// - Numbers (Unix epochs, Excel serials) are not dates: `None`.
pub fn parse_date_value(value: &Bson, zone: Tz) -> Option<NaiveDate> {
    let date = match value {
        Bson::DateTime(at) => Some(at.to_chrono().with_timezone(&zone).date_naive()),
        Bson::String(text) => parse_date_text(text),
        _ => None,
    }?;
    YEARS.contains(&date.year()).then_some(date)
}

/// The value at a dotted path (`metadata.purchaseDate`), descending through
/// sub-documents; a key that itself holds the dots is found too.
pub fn lookup_field<'a>(doc: &'a Document, dotted: &str) -> Option<&'a Bson> {
    if let Some(value) = doc.get(dotted) {
        return Some(value);
    }
    let (head, rest) = dotted.split_once('.')?;
    match doc.get(head)? {
        Bson::Document(inner) => lookup_field(inner, rest),
        _ => None,
    }
}

/// A contact's reference date: the date in the contact field the
/// automation names (`field`), else `fallback` (the automation's own date),
/// else `joined` (the day the contact joined the automation).
///
/// `field` is a path into the stored contact: a top-level field
/// (`createdAt`) or `metadata.x`. A bare name not found at the top level is
/// also looked up in `metadata` (`purchaseDate` → `metadata.purchaseDate`),
/// matching import column names loosely (`Purchase Date`, `purchase_date`).
/// A field that is missing, `null` or unreadable falls through to
/// `fallback`.
pub fn reference_date(
    contact: &Contact,
    field: Option<&str>,
    fallback: Option<NaiveDate>,
    joined: Option<NaiveDate>,
    zone: Tz,
) -> Option<NaiveDate> {
    field
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .and_then(|field| contact_field_date(contact, field, zone))
        .or(fallback)
        .or(joined)
}

fn contact_field_date(contact: &Contact, field: &str, zone: Tz) -> Option<NaiveDate> {
    let stored = mongodb::bson::to_document(contact).ok()?;
    if let Some(date) = lookup_field(&stored, field).and_then(|value| parse_date_value(value, zone))
    {
        return Some(date);
    }
    if field.contains('.') {
        return None;
    }
    let metadata = contact.metadata.as_ref()?;
    if let Some(date) = metadata
        .get(field)
        .and_then(|value| parse_date_value(value, zone))
    {
        return Some(date);
    }
    let wanted = loose_key(field);
    metadata
        .iter()
        .find(|(key, _)| loose_key(key) == wanted)
        .and_then(|(_, value)| parse_date_value(value, zone))
}

/// A column name without case, spaces, `_` or `-`.
fn loose_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.date_naive());
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(text) {
        return Some(at.date_naive());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.date());
        }
    }
    numeric_date(text).or_else(|| named_month_date(text))
}

/// `Y-M-D`, `M/D/Y`, `D/M/Y` (when the first number cannot be a month),
/// with `/` or `-` between, four-digit or two-digit years. Dotted dates
/// (`10.09.2025`) are left alone: Europe writes them day first.
fn numeric_date(text: &str) -> Option<NaiveDate> {
    let separator = text.chars().find(|c| matches!(c, '/' | '-'))?;
    let parts: Vec<&str> = text.split(separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    if ![a, b, c]
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let number = |part: &str| part.parse::<u32>().ok();
    if a.len() == 4 {
        if b.len() > 2 || c.len() > 2 {
            return None;
        }
        return NaiveDate::from_ymd_opt(i32::try_from(number(a)?).ok()?, number(b)?, number(c)?);
    }
    if a.len() > 2 || b.len() > 2 {
        return None;
    }
    let year = match c.len() {
        4 => i32::try_from(number(c)?).ok()?,
        2 => {
            let short = i32::try_from(number(c)?).ok()?;
            if short <= 68 {
                2000 + short
            } else {
                1900 + short
            }
        }
        _ => return None,
    };
    let (first, second) = (number(a)?, number(b)?);
    NaiveDate::from_ymd_opt(year, first, second)
        .or_else(|| (first > 12).then(|| NaiveDate::from_ymd_opt(year, second, first))?)
}

/// `Sep 10, 2025`, `September 10 2025`, `10 Sep 2025`, `Wed, Sep 10, 2025`.
fn named_month_date(text: &str) -> Option<NaiveDate> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| !word.is_empty())
        .map(|word| word.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let words: Vec<&str> = match words.as_slice() {
        [weekday, rest @ ..] if rest.len() == 3 && is_weekday(weekday) => {
            rest.iter().map(String::as_str).collect()
        }
        all => all.iter().map(String::as_str).collect(),
    };
    let [first, second, year] = words.as_slice() else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let (month, day) = match (month_number(first), month_number(second)) {
        (Some(month), None) => (month, *second),
        (None, Some(month)) => (month, *first),
        _ => return None,
    };
    let day = day
        .trim_end_matches("st")
        .trim_end_matches("nd")
        .trim_end_matches("rd")
        .trim_end_matches("th");
    if day.is_empty() || day.len() > 2 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day.parse().ok()?)
}

fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word };
    MONTHS
        .iter()
        .position(|month| month.starts_with(word))
        .and_then(|index| u32::try_from(index + 1).ok())
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    word.len() >= 3 && DAYS.iter().any(|day| day.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use chrono_tz::America::{Los_Angeles, New_York};
    use mongodb::bson::{doc, oid::ObjectId};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn text(value: &str) -> Option<NaiveDate> {
        parse_date_value(&Bson::String(value.into()), New_York)
    }

    #[test]
    fn every_listed_text_form() {
        let sep_10 = Some(day(2025, 9, 10));
        for value in [
            "2025-09-10",
            "2025-9-10",
            " 2025-09-10 ",
            "2025-09-10T14:00:00Z",
            "2025-09-10T00:00:00.000-04:00",
            "2025-09-10T23:30:00-07:00",
            "2025-09-10T14:00:00",
            "2025-09-10T14:00:00.123",
            "2025-09-10T14:00",
            "2025-09-10 14:00:00",
            "2025-09-10 14:00",
            "Wed, 10 Sep 2025 14:00:00 +0000",
            "09/10/2025",
            "9/10/2025",
            "09/10/25",
            "9/10/25",
            "09-10-2025",
            "2025/09/10",
            "Sep 10, 2025",
            "sep 10 2025",
            "Sept 10, 2025",
            "Sep. 10, 2025",
            "September 10, 2025",
            "SEPTEMBER 10 2025",
            "September 10th, 2025",
            "10 Sep 2025",
            "10 September 2025",
            "Wednesday, September 10, 2025",
        ] {
            assert_eq!(text(value), sep_10, "{value:?}");
        }
    }

    #[test]
    fn datetimes_keep_their_own_day() {
        // 23:30 in Los Angeles is already the 11th in UTC and New York.
        assert_eq!(text("2025-09-10T23:30:00-07:00"), Some(day(2025, 9, 10)));
        // 02:00Z on the 11th is the 11th as written.
        assert_eq!(text("2025-09-11T02:00:00Z"), Some(day(2025, 9, 11)));
    }

    #[test]
    fn bson_dates_are_read_in_the_zone() {
        let at = Utc.with_ymd_and_hms(2025, 9, 11, 2, 0, 0).unwrap();
        let value = Bson::DateTime(mongodb::bson::DateTime::from_chrono(at));
        assert_eq!(parse_date_value(&value, New_York), Some(day(2025, 9, 10)));
        assert_eq!(
            parse_date_value(&value, chrono_tz::UTC),
            Some(day(2025, 9, 11))
        );
    }

    #[test]
    fn day_first_only_when_unambiguous() {
        assert_eq!(text("31/12/2025"), Some(day(2025, 12, 31)));
        assert_eq!(text("01/02/2025"), Some(day(2025, 1, 2)));
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(text("1/2/68"), Some(day(2068, 1, 2)));
        assert_eq!(text("1/2/69"), Some(day(1969, 1, 2)));
        assert_eq!(text("12/31/99"), Some(day(1999, 12, 31)));
        assert_eq!(text("12/31/00"), Some(day(2000, 12, 31)));
    }

    #[test]
    fn not_dates() {
        for value in [
            Bson::Int64(1_757_462_400),
            Bson::Int32(45_910),
            Bson::Double(1_757_462_400_000.0),
            Bson::Null,
            Bson::Boolean(true),
            Bson::String("1757462400".into()),
            Bson::String("1757462400000".into()),
            Bson::String("".into()),
            Bson::String("soon".into()),
            Bson::String("13/13/2025".into()),
            Bson::String("02/30/2025".into()),
            Bson::String("2025-13-01".into()),
            Bson::String("10.09.2025".into()),
            Bson::String("9/10".into()),
            Bson::String("9/10/2025/1".into()),
            Bson::String("Sep 2025".into()),
            Bson::String("Sep 32, 2025".into()),
            Bson::String("Ma 10, 2025".into()),
            Bson::String("0025-09-10".into()),
            Bson::String("9/10/025".into()),
        ] {
            assert_eq!(parse_date_value(&value, New_York), None, "{value:?}");
        }
    }

    #[test]
    fn dotted_lookup() {
        let doc = doc! {
            "name": "x",
            "metadata": { "purchaseDate": "09/10/2025", "deep": { "er": 1 } },
            "flat.key": 2,
        };
        assert_eq!(
            lookup_field(&doc, "metadata.purchaseDate"),
            Some(&Bson::String("09/10/2025".into()))
        );
        assert_eq!(
            lookup_field(&doc, "metadata.deep.er"),
            Some(&Bson::Int32(1))
        );
        assert_eq!(lookup_field(&doc, "flat.key"), Some(&Bson::Int32(2)));
        assert_eq!(lookup_field(&doc, "name.first"), None);
        assert_eq!(lookup_field(&doc, "metadata.missing"), None);
        assert_eq!(lookup_field(&doc, "missing"), None);
    }

    fn legacy_contact(metadata: Document) -> Contact {
        // Shaped like the old app's: ten-digit number, empty email.
        mongodb::bson::from_document(doc! {
            "_id": ObjectId::new(),
            "userId": ObjectId::new(),
            "name": "Aaron Bdale",
            "phoneNumber": "4845550100",
            "email": "",
            "groups": [],
            "tags": [],
            "metadata": metadata,
            "isActive": true,
            "createdAt": mongodb::bson::DateTime::from_chrono(
                Utc.with_ymd_and_hms(2025, 9, 1, 3, 0, 0).unwrap()
            ),
            "__v": 0,
        })
        .unwrap()
    }

    #[test]
    fn reference_from_the_named_field() {
        let contact =
            legacy_contact(doc! { "purchaseDate": "09/10/2025", "Service Date": "Oct 1, 2025" });
        let fallback = Some(day(2025, 1, 1));
        let joined = Some(day(2025, 2, 2));
        let r = |field| reference_date(&contact, field, fallback, joined, New_York);
        assert_eq!(r(Some("metadata.purchaseDate")), Some(day(2025, 9, 10)));
        // A bare name is looked up in metadata too.
        assert_eq!(r(Some("purchaseDate")), Some(day(2025, 9, 10)));
        // Loosely named import columns.
        assert_eq!(r(Some("service_date")), Some(day(2025, 10, 1)));
        assert_eq!(r(Some("metadata.Service Date")), Some(day(2025, 10, 1)));
        // Top-level BSON date, read in the zone: 03:00Z is still Aug 31 in LA.
        assert_eq!(r(Some("createdAt")), Some(day(2025, 8, 31)));
        assert_eq!(
            reference_date(&contact, Some("createdAt"), None, None, Los_Angeles),
            Some(day(2025, 8, 31))
        );
        assert_eq!(
            reference_date(&contact, Some("createdAt"), None, None, chrono_tz::UTC),
            Some(day(2025, 9, 1))
        );
    }

    #[test]
    fn reference_falls_back_in_order() {
        let contact = legacy_contact(doc! { "purchaseDate": "soon", "blank": Bson::Null });
        let fallback = Some(day(2025, 1, 1));
        let joined = Some(day(2025, 2, 2));
        for field in [
            None,
            Some(""),
            Some("metadata.purchaseDate"),
            Some("blank"),
            Some("metadata.none"),
            Some("name"),
        ] {
            assert_eq!(
                reference_date(&contact, field, fallback, joined, New_York),
                fallback,
                "{field:?}"
            );
            assert_eq!(
                reference_date(&contact, field, None, joined, New_York),
                joined,
                "{field:?}"
            );
            assert_eq!(reference_date(&contact, field, None, None, New_York), None);
        }
    }
}
