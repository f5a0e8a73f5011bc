//! Dates that older documents store as text.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use mongodb::bson;
use mongodb::bson::Bson;
use serde::{de, Deserialize, Deserializer, Serialize};

/// A date stored either as a BSON date or as text, such as automations'
/// `fixedDate: "2025-09-17T00:00:00.000-04:00"`. Written back in the form it
/// was read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LooseDate {
    Date(bson::DateTime),
    Text(String),
}

impl LooseDate {
    /// The calendar day the writer meant, in `zone`.
    ///
    /// Text with an offset (`…T00:00:00.000-04:00`) names its own local day,
    /// which is what the owner picked, whatever zone it is read in; a bare
    /// `YYYY-MM-DD` is that day; a BSON date is the day in `zone`.
    pub fn local_date(&self, zone: Tz) -> Option<NaiveDate> {
        match self {
            Self::Date(date) => Some(date.to_chrono().with_timezone(&zone).date_naive()),
            Self::Text(text) => parse_text(text).map(|parsed| match parsed {
                Parsed::Offset(at) => at.date_naive(),
                Parsed::Naive(at) => at.date(),
                Parsed::Day(day) => day,
            }),
        }
    }

    /// The instant, reading text without an offset in `zone`.
    pub fn instant(&self, zone: Tz) -> Option<DateTime<Utc>> {
        match self {
            Self::Date(date) => Some(date.to_chrono()),
            Self::Text(text) => match parse_text(text)? {
                Parsed::Offset(at) => Some(at.with_timezone(&Utc)),
                Parsed::Naive(at) => zone
                    .from_local_datetime(&at)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc)),
                Parsed::Day(day) => zone
                    .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc)),
            },
        }
    }
}

/// Through [`Bson`], so the stored type decides the variant.
impl<'de> Deserialize<'de> for LooseDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Bson::deserialize(deserializer)? {
            Bson::DateTime(date) => Ok(Self::Date(date)),
            Bson::String(text) => Ok(Self::Text(text)),
            other => Err(de::Error::custom(format!(
                "expected a date or date text, found {:?}",
                other.element_type()
            ))),
        }
    }
}

enum Parsed {
    Offset(DateTime<FixedOffset>),
    Naive(NaiveDateTime),
    Day(NaiveDate),
}

fn parse_text(text: &str) -> Option<Parsed> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(Parsed::Offset(at));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Parsed::Naive(at));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(Parsed::Day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    #[test]
    fn text_with_offset_keeps_its_own_day() {
        let date = LooseDate::Text("2025-09-17T00:00:00.000-04:00".into());
        assert_eq!(
            date.local_date(chrono_tz::UTC),
            NaiveDate::from_ymd_opt(2025, 9, 17)
        );
        assert_eq!(
            date.instant(New_York).unwrap().to_rfc3339(),
            "2025-09-17T04:00:00+00:00"
        );
    }

    #[test]
    fn bare_day_is_midnight_in_the_zone() {
        let date = LooseDate::Text("2025-09-15".into());
        assert_eq!(
            date.instant(New_York).unwrap().to_rfc3339(),
            "2025-09-15T04:00:00+00:00"
        );
    }

    #[test]
    fn bson_date_is_read_in_the_zone() {
        let at = Utc.with_ymd_and_hms(2025, 9, 17, 2, 0, 0).unwrap();
        let date = LooseDate::Date(bson::DateTime::from_chrono(at));
        assert_eq!(
            date.local_date(New_York),
            NaiveDate::from_ymd_opt(2025, 9, 16)
        );
    }

    #[test]
    fn keeps_the_stored_form() {
        use mongodb::bson::doc;
        #[derive(Serialize, Deserialize)]
        struct Holder {
            d: LooseDate,
        }
        let now = bson::DateTime::now();
        for stored in [
            Bson::DateTime(now),
            Bson::String("2025-09-17T00:00:00.000-04:00".into()),
        ] {
            let holder: Holder = bson::from_document(doc! { "d": stored.clone() }).unwrap();
            assert_eq!(bson::to_document(&holder).unwrap().get("d"), Some(&stored));
        }
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(LooseDate::Text("soon".into()).instant(New_York), None);
    }
}
