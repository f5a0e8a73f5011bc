//! What a client may send to create or change a contact, and the rules
//! every write (API or import) checks before touching the database.

use chrono_tz::Tz;
use mongodb::bson::Document;
use phonenumber::country;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::http::input::free_object;
use crate::model::phone;

/// Longest name accepted; longer text is almost certainly a wrong column.
const MAX_NAME_CHARS: usize = 200;

/// `POST /api/contacts`. Unknown fields are ignored; wrong types are 422.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewContact {
    pub name: String,
    /// Any common spelling; stored in E.164 (US when no country code).
    pub phone_number: String,
    pub email: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Ids of the user's groups.
    pub groups: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub is_active: Option<bool>,
    /// IANA zone such as `America/New_York`.
    pub timezone: Option<String>,
}

/// `PATCH /api/contacts/{id}`: only the fields present change. `null`
/// clears `email`, `timezone`, `tags`, `groups` and `metadata`; it is
/// refused for `name`, `phoneNumber` and `isActive`, which always have a
/// value. A given `metadata` replaces the stored one.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub groups: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, nullable)]
    pub metadata: Option<Option<Map<String, Value>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub is_active: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub timezone: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`,
/// through `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A non-blank name, trimmed.
pub fn name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Error::validation("name", "name must not be blank"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(
            "name",
            format!("name must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_string())
}

/// The number in E.164, reading one without a country code as `region`'s
/// (the user's; US when `None`).
pub fn phone_number(raw: &str, region: Option<country::Id>) -> Result<String> {
    phone::to_e164(raw, region)
        .map_err(|reason| Error::validation("phoneNumber", format!("phoneNumber {reason}")))
}

/// The email as production stores it: trimmed, `""` for none.
pub fn email(raw: Option<&str>) -> Result<String> {
    let email = raw.map(str::trim).unwrap_or_default();
    if email.is_empty() || is_email(email) {
        Ok(email.to_string())
    } else {
        Err(Error::validation("email", "email is not an email address"))
    }
}

/// A deliberately loose check (`local@domain.tld`, no spaces): enough to
/// catch a wrong column, without refusing unusual but real addresses.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
        && domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-'))
        && domain.contains('.')
}

/// A known IANA zone, or none when blank.
pub fn timezone(raw: Option<&str>) -> Result<Option<String>> {
    let Some(zone) = raw.map(str::trim).filter(|zone| !zone.is_empty()) else {
        return Ok(None);
    };
    zone.parse::<Tz>()
        .map(|tz| Some(tz.name().to_string()))
        .map_err(|_| Error::validation("timezone", format!("unknown IANA time zone {zone:?}")))
}

/// Trimmed, non-blank, first occurrence kept.
pub fn tags<I, S>(raw: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.as_ref().trim();
        if !tag.is_empty() && !tags.iter().any(|kept| kept == tag) {
            tags.push(tag.to_string());
        }
    }
    tags
}

/// Client metadata as BSON. Keys anywhere in it (nested objects and
/// arrays included) that MongoDB would read as paths (`.`) or operators
/// (leading `$`), or cannot store (NUL), are refused naming their path.
pub fn metadata(raw: &Map<String, Value>) -> Result<Document> {
    free_object("metadata", raw)
}

/// The 409 for a number another contact of the user holds: the pre-check
/// and the unique `phoneKey` index answer it alike.
pub fn duplicate_phone() -> Error {
    Error::Conflict {
        field: Some("phoneNumber".into()),
        message: "a contact with this phone number already exists".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["a@b.co", "first.last+tag@example.test"] {
            assert!(is_email(good), "{good}");
        }
        for bad in ["", "a", "a@b", "@b.co", "a b@c.co", "a@b..co", "a@@b.co"] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn timezones() {
        assert_eq!(
            timezone(Some(" America/Chicago ")).unwrap().as_deref(),
            Some("America/Chicago")
        );
        assert_eq!(timezone(Some("")).unwrap(), None);
        assert_eq!(timezone(Some("Mars/Olympus")).unwrap_err().status(), 422);
    }

    #[test]
    fn tags_are_trimmed_and_unique() {
        assert_eq!(tags([" vip", "vip", "", "sedan "]), ["vip", "sedan"]);
    }

    #[test]
    fn patch_tells_null_from_absent() {
        let patch: ContactPatch = serde_json::from_str(r#"{"email":null}"#).unwrap();
        assert_eq!(patch.email, Some(None));
        assert_eq!(patch.name, None);
    }
}
