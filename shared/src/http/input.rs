//! Checks of client text and objects in request bodies and queries:
//! names, short text, search text and free-form objects, each failure a
//! 422 naming the field.

use mongodb::bson::{doc, Bson, Document};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::http::json::object_to_document;
use crate::infra::regex_escape::escape_regex;

/// At most this many characters in a search.
pub const MAX_SEARCH: usize = 200;

/// A required, trimmed name of 1 to `max` characters.
pub fn name(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::validation(
            field,
            format!("{field} must not be empty"),
        ));
    }
    short_text(field, text, max)
}

/// Trimmed text of at most `max` characters (may be empty).
pub fn short_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if text.contains('\0') {
        return Err(Error::validation(
            field,
            format!("{field} must not contain NUL"),
        ));
    }
    Ok(text.to_string())
}

/// Longest name of a contact list or group.
pub const MAX_NAME: usize = 100;
/// Longest description of a contact list or group.
pub const MAX_DESCRIPTION: usize = 1000;

/// A new contact list's or group's `name` (1 to [`MAX_NAME`] characters)
/// and `description` (`""` when none), trimmed.
pub fn name_and_description(name: &str, description: Option<&str>) -> Result<(String, String)> {
    Ok((
        self::name("name", name, MAX_NAME)?,
        short_text(
            "description",
            description.unwrap_or_default(),
            MAX_DESCRIPTION,
        )?,
    ))
}

/// The `$set` fields of a patch's `name` and `description`, those given,
/// checked like [`name_and_description`].
pub fn name_and_description_fields(
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Document> {
    let mut fields = Document::new();
    if let Some(name) = name {
        fields.insert("name", self::name("name", name, MAX_NAME)?);
    }
    if let Some(description) = description {
        fields.insert(
            "description",
            short_text("description", description, MAX_DESCRIPTION)?,
        );
    }
    Ok(fields)
}

/// A case-insensitive "contains" filter on `text`, with every regex
/// metacharacter escaped.
pub fn search_filter(text: &str) -> Result<Option<Bson>> {
    let text = short_text("search", text, MAX_SEARCH)?;
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bson::Document(
        doc! { "$regex": escape_regex(&text), "$options": "i" },
    )))
}

/// A free-form JSON object as a BSON document, refusing keys MongoDB
/// cannot store (`$`-prefixed, dotted, NUL) with a 422 naming `field`.
pub fn free_object(field: &str, value: &Map<String, Value>) -> Result<Document> {
    object_keys(field, value)?;
    Ok(object_to_document(value))
}

/// Deepest nesting a free-form value may have; deeper is refused rather
/// than walked.
const MAX_DEPTH: usize = 20;

/// Checks every key of `value` and of the objects nested in it (arrays
/// included) with [`is_plain_key`]: a 422 naming the path of the first
/// bad one (`metadata.car[0].$where`).
pub fn object_keys(field: &str, value: &Map<String, Value>) -> Result<()> {
    check_keys(field, value, 0)
}

/// [`object_keys`] for any JSON value: scalars pass, objects and arrays
/// are walked.
pub fn value_keys(field: &str, value: &Value) -> Result<()> {
    check_value(field, value, 0)
}

/// A key MongoDB stores as written and reads as a plain field: not empty,
/// no `.` (a path), no leading `$` (an operator), no NUL (BSON cannot hold
/// one in a key).
pub fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('$') && !key.contains('.') && !key.contains('\0')
}

fn check_keys(field: &str, value: &Map<String, Value>, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::validation(
            field,
            format!("{field} is nested too deeply"),
        ));
    }
    for (key, inner) in value {
        if !is_plain_key(key) {
            return Err(Error::validation(
                format!("{field}.{key}"),
                "keys must be non-empty and contain no '.', leading '$' or NUL",
            ));
        }
        check_value(&format!("{field}.{key}"), inner, depth + 1)?;
    }
    Ok(())
}

fn check_value(field: &str, value: &Value, depth: usize) -> Result<()> {
    match value {
        Value::Object(map) => check_keys(field, map, depth),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_value(&format!("{field}[{i}]"), item, depth + 1)),
        _ => Ok(()),
    }
}

/// An IANA zone name, or 422 naming `field`.
pub fn parse_timezone(field: &str, raw: &str) -> Result<chrono_tz::Tz> {
    raw.trim().parse().map_err(|_| {
        Error::validation(
            field,
            format!("{raw:?} is not an IANA time zone such as America/New_York"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_refused() {
        let value = serde_json::json!({ "ok": { "$set": 1 } });
        let err = free_object("settings", value.as_object().unwrap()).unwrap_err();
        assert_eq!(err.status(), 422);
        assert_eq!(err.body().error.field.as_deref(), Some("settings.ok.$set"));
    }

    #[test]
    fn nested_keys_are_checked_in_arrays_too() {
        let value = serde_json::json!({ "ok": [1, { "fine": { "a\u{0}": 1 } }] });
        let err = value_keys("metadata", &value).unwrap_err();
        assert_eq!(
            err.body().error.field.as_deref(),
            Some("metadata.ok[1].fine.a\u{0}")
        );
        assert!(value_keys("metadata", &serde_json::json!([{ "a": { "b": 1 } }])).is_ok());
        assert!(value_keys("x", &serde_json::json!({ "a.b": 1 })).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  VIP  ", 10).unwrap(), "VIP");
        assert!(name("name", "   ", 10).is_err());
        assert!(name("name", "x".repeat(11).as_str(), 10).is_err());
    }
}
