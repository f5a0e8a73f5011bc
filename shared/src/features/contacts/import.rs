//! Importing many contacts at once: new numbers are inserted in batches,
//! numbers the user already has (in any stored form) update that contact.
//!
//! Built for 10,000-row files in one request: the user's numbers are read
//! once, inserts go in `insert_many` batches, and only the contacts being
//! updated are read back.

use std::collections::HashMap;

use mongodb::bson::{self, oid::ObjectId, Bson, DateTime, Document};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::columns::{self, Column};
use super::import_body::Table;
use super::input;
use super::repo::{self, ContactChanges};
use super::service::user_region;
use crate::error::{Error, Result};
use crate::http::json::from_json;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::phone;
use crate::model::Contact;

/// Documents per `insert_many`, and ids per `$in` read of updated contacts.
const BATCH: usize = 1000;

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Rows neither created nor updated: the rejected ones and blank ones.
    pub skipped: u64,
    pub errors: Vec<RowError>,
}

/// Why one row was rejected.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowError {
    /// The data row, from 1 (the header row is not counted).
    pub row: u64,
    pub field: String,
    pub reason: String,
}

/// One row's recognized values.
#[derive(Debug, Default)]
struct Row {
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    tags: Vec<String>,
    metadata: Document,
}

impl Row {
    fn read(cells: Vec<(String, Value)>) -> Self {
        let mut row = Self::default();
        for (header, value) in cells {
            let column = columns::recognize(&header);
            if column == Column::Metadata {
                if let (Some(key), Some(value)) = (columns::metadata_key(&header), metadata(&value))
                {
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
            // With two columns of a kind (`phone` and `mobile`), the first
            // one filled in wins.
            let slot = match column {
                Column::Name => &mut row.name,
                Column::FirstName => &mut row.first_name,
                Column::LastName => &mut row.last_name,
                Column::Phone => &mut row.phone,
                Column::Email => &mut row.email,
                Column::Tags | Column::Metadata => continue,
            };
            slot.get_or_insert(text);
        }
        row.tags = input::tags(row.tags);
        row
    }

    fn is_blank(&self) -> bool {
        self.name.is_none()
            && self.first_name.is_none()
            && self.last_name.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.tags.is_empty()
            && self.metadata.is_empty()
    }

    /// `name`, or `first name` and `last name` joined.
    fn full_name(&self) -> Option<String> {
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

/// Changes for a contact the user already has.
#[derive(Debug)]
struct Merge {
    id: ObjectId,
    name: Option<String>,
    email: Option<String>,
    tags: Vec<String>,
    metadata: Document,
}

/// Imports `table` into `user_id`'s contacts.
pub async fn import(db: &Db, user_id: ObjectId, table: Table) -> Result<ImportReport> {
    check_columns(&table.headers)?;
    let existing = existing_numbers(db, user_id).await?;
    let region = user_region(db, user_id).await?;
    let mut report = ImportReport::default();
    let mut first_row_of: HashMap<String, u64> = HashMap::new();
    let mut inserts: Vec<Document> = Vec::new();
    let mut merges: Vec<Merge> = Vec::new();
    let now = DateTime::now();

    for (index, cells) in table.rows.into_iter().enumerate() {
        let row_number = index as u64 + 1;
        let row = Row::read(cells);
        if row.is_blank() {
            report.skipped += 1;
            continue;
        }
        match plan(
            &row,
            row_number,
            user_id,
            &existing,
            &mut first_row_of,
            now,
            region,
        ) {
            Ok(Planned::Insert(document)) => inserts.push(document),
            Ok(Planned::Merge(merge)) => merges.push(merge),
            Err((field, reason)) => {
                report.skipped += 1;
                report.errors.push(RowError {
                    row: row_number,
                    field: field.to_string(),
                    reason,
                });
            }
        }
    }

    for batch in inserts.chunks(BATCH) {
        report.created += repo::insert_many(db, batch.to_vec()).await?;
    }
    report.updated = apply_merges(db, user_id, merges).await?;
    Ok(report)
}

enum Planned {
    Insert(Document),
    Merge(Merge),
}

/// What to do with one row, or why it is rejected (`(field, reason)`).
fn plan(
    row: &Row,
    row_number: u64,
    user_id: ObjectId,
    existing: &HashMap<String, ObjectId>,
    first_row_of: &mut HashMap<String, u64>,
    now: DateTime,
    region: Option<phonenumber::country::Id>,
) -> std::result::Result<Planned, (&'static str, String)> {
    let raw_phone = row
        .phone
        .as_deref()
        .ok_or(("phoneNumber", "missing phone number".to_string()))?;
    let e164 = phone::to_e164(raw_phone, region)
        .map_err(|reason| ("phoneNumber", format!("{raw_phone:?} {reason}")))?;
    let email = match row.email.as_deref() {
        Some(email) if !input::is_email(email) => {
            return Err(("email", format!("{email:?} is not an email address")))
        }
        email => email.map(str::to_string),
    };
    let name = row
        .full_name()
        .map(|name| input::name(&name))
        .transpose()
        .map_err(|error| ("name", error.body().error.message))?;
    if let Some(first) = first_row_of.get(&e164) {
        return Err(("phoneNumber", format!("same number as row {first}")));
    }
    first_row_of.insert(e164.clone(), row_number);

    if let Some(id) = existing.get(&e164) {
        return Ok(Planned::Merge(Merge {
            id: *id,
            name,
            email,
            tags: row.tags.clone(),
            metadata: row.metadata.clone(),
        }));
    }
    let name = name.ok_or(("name", "missing name".to_string()))?;
    let contact = Contact {
        id: ObjectId::new(),
        user_id,
        name,
        phone_number: e164,
        email: Some(email.unwrap_or_default()),
        groups: vec![],
        tags: row.tags.clone(),
        metadata: Some(row.metadata.clone()),
        is_active: Some(true),
        timezone: None,
        created_at: None,
        updated_at: None,
        version: None,
    };
    let mut document = bson::to_document(&contact)
        .map_err(|error| ("row", format!("cannot be stored: {error}")))?;
    // The stamps `store::insert` gives a single contact.
    store::stamp_new(&mut document, now);
    Ok(Planned::Insert(document))
}

/// A file must say where the numbers and the names are.
fn check_columns(headers: &[String]) -> Result<()> {
    let kinds: Vec<Column> = headers.iter().map(|h| columns::recognize(h)).collect();
    if !kinds.contains(&Column::Phone) {
        return Err(Error::validation(
            "phone",
            "no phone column (expected a header such as phone, phone number or mobile)",
        ));
    }
    if !kinds
        .iter()
        .any(|kind| matches!(kind, Column::Name | Column::FirstName | Column::LastName))
    {
        return Err(Error::validation(
            "name",
            "no name column (expected a header such as name or first name)",
        ));
    }
    Ok(())
}

/// The user's contacts by number in E.164 (legacy forms normalized; a
/// number that does not parse is kept as stored). With repeats, which
/// production may hold, the oldest contact is the one updated.
async fn existing_numbers(db: &Db, user_id: ObjectId) -> Result<HashMap<String, ObjectId>> {
    let stored = repo::numbers(db, user_id).await?;
    let mut numbers = HashMap::with_capacity(stored.len());
    for (id, stored) in stored {
        let key = phone::to_e164(&stored, None).unwrap_or_else(|_| stored.trim().to_string());
        numbers.entry(key).or_insert(id);
    }
    Ok(numbers)
}

/// Applies merges: reads the contacts' tags and metadata in batches, then
/// `$set`s the union of tags and the merged metadata (plus name and email
/// when the row has them). Returns how many contacts were updated.
async fn apply_merges(db: &Db, user_id: ObjectId, merges: Vec<Merge>) -> Result<u64> {
    let mut updates: Vec<(ObjectId, ContactChanges)> = Vec::with_capacity(merges.len());
    for batch in merges.chunks(BATCH) {
        let ids: Vec<ObjectId> = batch.iter().map(|merge| merge.id).collect();
        let stored = repo::tags_and_metadata(db, user_id, ids).await?;
        for merge in batch {
            let Some(current) = stored.get(&merge.id) else {
                continue;
            };
            updates.push((merge.id, merged(current, merge)));
        }
    }
    repo::update_each(db, user_id, updates, DateTime::now()).await
}

/// The changes merging `merge` into the stored `current`.
fn merged(current: &Document, merge: &Merge) -> ContactChanges {
    let mut changes = ContactChanges {
        name: merge.name.clone(),
        email: merge.email.clone(),
        ..ContactChanges::default()
    };
    if !merge.tags.is_empty() {
        let stored = current
            .get_array("tags")
            .map(|tags| {
                tags.iter()
                    .filter_map(Bson::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_else(|_| Vec::<String>::new());
        let tags = input::tags(stored.into_iter().chain(merge.tags.iter().cloned()));
        changes.tags = Some(tags);
    }
    if !merge.metadata.is_empty() {
        let mut metadata = current
            .get_document("metadata")
            .cloned()
            .unwrap_or_default();
        for (key, value) in &merge.metadata {
            metadata.insert(key.clone(), value.clone());
        }
        changes.metadata = Some(metadata);
    }
    changes
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
        ]);
        assert_eq!(row.full_name().as_deref(), Some("Alex Madeup"));
        assert_eq!(row.phone.as_deref(), Some("215-555-0100"));
        assert_eq!(row.metadata, doc! { "purchaseDate": "2025-09-01" });
    }

    #[test]
    fn merge_unions_tags_and_metadata() {
        let current = doc! { "tags": ["vip"], "metadata": { "a": 1, "b": 2 } };
        let merge = Merge {
            id: ObjectId::new(),
            name: None,
            email: None,
            tags: vec!["vip".into(), "new".into()],
            metadata: doc! { "b": 3 },
        };
        assert_eq!(
            merged(&current, &merge).fields(),
            doc! { "tags": ["vip", "new"], "metadata": { "a": 1, "b": 3 } }
        );
    }
}
