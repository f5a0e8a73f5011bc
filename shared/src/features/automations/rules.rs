//! The rule each field of an automation body is held to, one small
//! function per kind of value. Each names the field it checks in its
//! error, so a client learns which field to fix.

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::input::MAX_URL_CHARS;
use crate::error::{Error, Result};
use crate::model::parse_clock;

/// The value of a field that may not be `null`.
pub fn required<T>(field: &str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::validation(field, format!("{field} must not be null")))
}

/// Text trimmed, `min` to `max` characters long.
pub fn text(field: &str, raw: &str, min: usize, max: usize) -> Result<String> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars < min || chars > max {
        let message = if min == 0 {
            format!("{field} must be at most {max} characters")
        } else {
            format!("{field} must have {min} to {max} characters")
        };
        return Err(Error::validation(field, message));
    }
    Ok(trimmed.to_string())
}

/// Nullable text: `null` or blank is no text.
pub fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    let Some(raw) = value else {
        return Ok(None);
    };
    let text = text(field, &raw, 0, max)?;
    Ok((!text.is_empty()).then_some(text))
}

/// A whole number from `min` to `max`, as production stores it (32 bits).
pub fn in_range(field: &str, value: i64, min: i64, max: i64) -> Result<i32> {
    if value < min || value > max {
        return Err(Error::validation(
            field,
            format!("{field} must be between {min} and {max}"),
        ));
    }
    i32::try_from(value).map_err(|_| Error::validation(field, "out of range"))
}

/// `HH:MM` on a 24-hour clock.
pub fn clock(field: &str, raw: &str) -> Result<NaiveTime> {
    let trimmed = raw.trim();
    let shaped = trimmed.len() == 5 && trimmed.as_bytes().get(2) == Some(&b':');
    match parse_clock(trimmed) {
        Some(time) if shaped => Ok(time),
        _ => Err(Error::validation(
            field,
            format!("{field} must be a time HH:MM (24-hour clock)"),
        )),
    }
}

/// A known IANA zone.
pub fn timezone(field: &str, raw: &str) -> Result<Tz> {
    raw.trim()
        .parse::<Tz>()
        .map_err(|_| Error::validation(field, format!("unknown IANA time zone {:?}", raw.trim())))
}

/// `YYYY-MM-DD`, or RFC 3339 read as its own local day.
pub fn date(field: &str, raw: &str) -> Result<NaiveDate> {
    let trimmed = raw.trim();
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(trimmed)
                .ok()
                .map(|at| at.date_naive())
        })
        .ok_or_else(|| {
            Error::validation(
                field,
                format!("{field} must be a date YYYY-MM-DD or an RFC 3339 date-time"),
            )
        })
}

/// `metadata.purchaseDate`: letters, digits, `_` and `.`, no empty part.
/// The path is read from contact documents, so no `$` operator gets in.
pub fn reference_field(raw: &str) -> Result<String> {
    let field = raw.trim();
    let valid = !field.is_empty()
        && field.len() <= 200
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && field.split('.').all(|part| !part.is_empty());
    if valid {
        Ok(field.to_string())
    } else {
        Err(Error::validation(
            "referenceField",
            "referenceField must be a field path such as metadata.purchaseDate",
        ))
    }
}

/// `voiceAudioUrl`: an http(s) URL, or blank for none.
pub fn url(raw: &str) -> Result<Option<String>> {
    let url = text("voiceAudioUrl", raw, 0, MAX_URL_CHARS)?;
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if url.is_empty() {
        Ok(None)
    } else if scheme_ok && !url.chars().any(char::is_whitespace) {
        Ok(Some(url))
    } else {
        Err(Error::validation(
            "voiceAudioUrl",
            "voiceAudioUrl must be an http(s) URL",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_in_both_forms() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 17);
        assert_eq!(date("fixedDate", "2025-09-17").ok(), day);
        assert_eq!(date("fixedDate", "2025-09-17T00:00:00.000-04:00").ok(), day);
        assert!(date("fixedDate", "17/09/2025").is_err());
    }

    #[test]
    fn clocks_are_hh_mm() {
        assert!(clock("timeOfDay", "09:30").is_ok());
        for bad in ["9:30", "25:00", "09:30:00", "noon"] {
            assert!(clock("timeOfDay", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reference_fields() {
        assert!(reference_field("metadata.purchaseDate").is_ok());
        for bad in ["$where", "a..b", ".a", "a b", "metadata.$x"] {
            assert!(reference_field(bad).is_err(), "{bad}");
        }
    }
}
