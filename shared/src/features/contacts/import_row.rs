//! One import row read into the values a contact has: the recognized
//! columns (name, phone, email, tags) and the rest as `metadata`, each
//! metadata cell's nested keys checked.

use mongodb::bson::{Bson, Document};
use serde_json::Value;

use super::columns::{self, Column};
use super::input;
use crate::error::Error;
use crate::http::input::value_keys;
use crate::http::json::from_json;

/// One row's recognized values.
#[derive(Debug, Default)]
pub(super) struct Row {
    pub(super) name: Option<String>,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) email: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) metadata: Document,
    /// A do-not-call column said yes.
    pub(super) do_not_call: bool,
}

/// Why a row is rejected: `(field, reason)`.
pub(super) type Rejection = (String, String);

impl Row {
    /// The row's recognized values; a rejection when a metadata cell holds
    /// a key MongoDB would read as an operator or a path, or cannot store.
    pub(super) fn read(cells: Vec<(String, Value)>) -> std::result::Result<Self, Rejection> {
        let mut row = Self::default();
        for (header, value) in cells {
            let column = columns::recognize(&header);
            if column == Column::Metadata {
                let Some(key) = columns::metadata_key(&header) else {
                    continue;
                };
                value_keys(&format!("metadata.{key}"), &value).map_err(rejection)?;
                if let Some(value) = metadata(&value) {
                    row.metadata.insert(key, value);
                }
                continue;
            }
            if column == Column::Tags {
                row.tags.extend(tags(&value));
                continue;
            }
            let Some(text) = text(&value) else {
                continue;
            };
            if column == Column::DoNotCall {
                let said = columns::yes_no(&text).ok_or_else(|| {
                    (
                        "doNotCall".to_string(),
                        format!("{text:?} is not yes or no"),
                    )
                })?;
                row.do_not_call |= said;
                continue;
            }
            // With two columns of a kind (`phone` and `mobile`), the first
            // one filled in wins.
            let slot = match column {
                Column::Name => &mut row.name,
                Column::FirstName => &mut row.first_name,
                Column::LastName => &mut row.last_name,
                Column::Phone => &mut row.phone,
                Column::Email => &mut row.email,
                Column::Tags | Column::Metadata | Column::DoNotCall => continue,
            };
            slot.get_or_insert(text);
        }
        row.tags = input::tags(row.tags);
        Ok(row)
    }

    pub(super) fn is_blank(&self) -> bool {
        self.name.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.tags.is_empty()
            && self.metadata.is_empty()
    }

    /// `name`, or `first name` and `last name` joined.
    pub(super) fn full_name(&self) -> Option<String> {
        if let Some(name) = &self.name {
            return Some(name.clone());
        }
        let joined = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    }
}

/// A cell as trimmed, non-blank text.
fn text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn tags(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other)
            .map(|cell| columns::split_tags(&cell).map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// A metadata cell as BSON; blank cells are left out so re-importing a
/// sparser file does not erase what a contact has.
fn metadata(value: &Value) -> Option<Bson> {
    match value {
        Value::Null => None,
        Value::String(text) if text.trim().is_empty() => None,
        Value::String(text) => Some(Bson::String(text.trim().to_string())),
        other => Some(from_json(other)),
    }
}

/// A checked field's 422 as a row's rejection.
pub(super) fn rejection(error: Error) -> Rejection {
    let body = error.body().error;
    (body.field.unwrap_or_else(|| "row".into()), body.message)
}

#[cfg(test)]
mod tests {
    use mongodb::bson::doc;

    use super::*;

    #[test]
    fn first_and_last_names_are_joined() {
        let row = Row::read(vec![
            ("First Name".into(), Value::from("Alex")),
            ("Last_Name".into(), Value::from("Madeup")),
            ("Phone #".into(), Value::from("215-555-0100")),
            ("purchaseDate".into(), Value::from("2025-09-01")),
            ("notes".into(), Value::from("")),
        ])
        .unwrap();
        assert_eq!(row.full_name().as_deref(), Some("Alex Madeup"));
        assert_eq!(row.phone.as_deref(), Some("215-555-0100"));
        assert_eq!(row.metadata, doc! { "purchaseDate": "2025-09-01" });
    }

    #[test]
    fn a_do_not_call_column_reads_yes_and_no() {
        let row = |cell: &str| {
            Row::read(vec![
                ("name".into(), Value::from("Alex")),
                ("Do Not Call".into(), Value::from(cell)),
            ])
        };
        assert!(row("Yes").unwrap().do_not_call);
        assert!(!row("no").unwrap().do_not_call);
        assert!(!row("").unwrap().do_not_call);
        assert_eq!(row("maybe").unwrap_err().0, "doNotCall");
    }

    #[test]
    fn a_cell_with_an_operator_key_rejects_the_row_naming_the_path() {
        let rejected = Row::read(vec![
            ("name".into(), Value::from("Alex")),
            (
                "car.kind".into(),
                serde_json::json!({ "a": [{ "$gt": 1 }] }),
            ),
        ])
        .unwrap_err();
        assert_eq!(rejected.0, "metadata.car_kind.a[0].$gt");
    }
}
