//! Importing many contacts at once: new numbers are inserted in batches,
//! numbers the user already has (in any stored form) update that contact.
//!
//! Built for files of [`MAX_ROWS`](super::import_body::MAX_ROWS) rows in
//! one request: the user's numbers are read once, the rows are checked on
//! a blocking thread (parsing numbers is CPU work the async workers must
//! not do), inserts go in `insert_many` batches, and only the contacts
//! being updated are read back. A new contact carries its `phoneKey`, so
//! a row racing a create of the same number is refused, not doubled.

use std::collections::HashMap;

use mongodb::bson::{oid::ObjectId, Bson, DateTime, Document};
use serde::Serialize;
use utoipa::ToSchema;

use super::columns::{self, Column};
use super::import_body::Table;
use super::import_row::{rejection, Rejection, Row};
use super::input;
use super::repo::{self, ContactChanges};
use super::service::user_region;
use crate::error::{Error, Result};
use crate::features::do_not_call;
use crate::infra::db::Db;
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
    /// Numbers a do-not-call column put on the registry (new entries).
    #[serde(rename = "doNotCall")]
    pub do_not_call: u64,
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
    let stored = repo::numbers(db, user_id).await?;
    let region = user_region(db, user_id).await?;
    let now = DateTime::now();
    let Plan {
        mut report,
        inserts,
        merges,
        do_not_call,
    } = tokio::task::spawn_blocking(move || plan_rows(table, user_id, stored, region, now))
        .await
        .map_err(|error| Error::Internal(format!("import planning task: {error}")))?;

    for batch in inserts.chunks(BATCH) {
        let documents: Vec<&Document> = batch.iter().map(|(_, document)| document).collect();
        let refused = repo::insert_many(db, &documents).await?;
        report.created += (batch.len() - refused.len()) as u64;
        for position in refused {
            report.skipped += 1;
            report.errors.push(RowError {
                row: batch[position].0,
                field: "phoneNumber".into(),
                reason: "a contact with this number was added while importing".into(),
            });
        }
    }
    report.errors.sort_by_key(|error| error.row);
    report.updated = apply_merges(db, user_id, merges).await?;
    report.do_not_call = register_do_not_call(db, user_id, do_not_call).await?;
    Ok(report)
}

/// What an import will write: new contacts' documents by row number, and
/// merges into contacts the user has; the report so far (rejected and
/// blank rows).
#[derive(Default)]
struct Plan {
    report: ImportReport,
    inserts: Vec<(u64, Document)>,
    merges: Vec<Merge>,
    /// Numbers (E.164) of imported rows whose do-not-call column said yes.
    do_not_call: Vec<String>,
}

/// Checks every row against the user's `stored` numbers: CPU work (phone
/// parsing), run on a blocking thread.
fn plan_rows(
    table: Table,
    user_id: ObjectId,
    stored: Vec<(ObjectId, String)>,
    region: Option<phonenumber::country::Id>,
    now: DateTime,
) -> Plan {
    let existing = existing_numbers(stored);
    let context = Context {
        user_id,
        existing: &existing,
        now,
        region,
    };
    let mut first_row_of: HashMap<String, u64> = HashMap::new();
    let mut out = Plan::default();
    for (index, cells) in table.rows.into_iter().enumerate() {
        let row_number = index as u64 + 1;
        let planned = Row::read(cells).and_then(|row| {
            if row.is_blank() {
                return Ok(None);
            }
            // An opt-out is kept even when another cell rejects the row.
            let opted_out = row
                .do_not_call
                .then_some(row.phone.as_deref())
                .flatten()
                .and_then(|raw| phone::to_e164(raw, context.region).ok());
            out.do_not_call.extend(opted_out);
            plan(&row, row_number, &context, &mut first_row_of).map(Some)
        });
        match planned {
            Ok(Some(Planned::Insert(document))) => out.inserts.push((row_number, document)),
            Ok(Some(Planned::Merge(merge))) => out.merges.push(merge),
            Ok(None) => out.report.skipped += 1,
            Err((field, reason)) => {
                out.report.skipped += 1;
                out.report.errors.push(RowError {
                    row: row_number,
                    field,
                    reason,
                });
            }
        }
    }
    out
}

/// What every row of one import is checked against.
struct Context<'a> {
    user_id: ObjectId,
    existing: &'a HashMap<String, ObjectId>,
    now: DateTime,
    region: Option<phonenumber::country::Id>,
}

enum Planned {
    Insert(Document),
    Merge(Merge),
}

/// What to do with one row, or why it is rejected.
fn plan(
    row: &Row,
    row_number: u64,
    context: &Context<'_>,
    first_row_of: &mut HashMap<String, u64>,
) -> std::result::Result<Planned, Rejection> {
    let field = |name: &str, reason: String| (name.to_string(), reason);
    let raw_phone = row
        .phone
        .as_deref()
        .ok_or_else(|| field("phoneNumber", "missing phone number".into()))?;
    let e164 = phone::to_e164(raw_phone, context.region)
        .map_err(|reason| field("phoneNumber", format!("{raw_phone:?} {reason}")))?;
    let email = match row.email.as_deref() {
        Some(email) if !input::is_email(email) => {
            return Err(field("email", format!("{email:?} is not an email address")))
        }
        email => email.map(str::to_string),
    };
    let name = row
        .full_name()
        .map(|name| input::name(&name))
        .transpose()
        .map_err(rejection)?;
    if let Some(first) = first_row_of.get(&e164) {
        return Err(field("phoneNumber", format!("same number as row {first}")));
    }
    first_row_of.insert(e164.clone(), row_number);

    if let Some(id) = context.existing.get(&e164) {
        return Ok(Planned::Merge(Merge {
            id: *id,
            name,
            email,
            tags: row.tags.clone(),
            metadata: row.metadata.clone(),
        }));
    }
    let name = name.ok_or_else(|| field("name", "missing name".into()))?;
    let contact = Contact {
        id: ObjectId::new(),
        user_id: context.user_id,
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
    repo::new_document(&contact, context.now)
        .map(Planned::Insert)
        .map_err(|error| field("row", format!("cannot be stored: {error}")))
}

/// Registers `numbers` on `user_id`'s do-not-call registry (source
/// `import`); how many were new.
async fn register_do_not_call(db: &Db, user_id: ObjectId, numbers: Vec<String>) -> Result<u64> {
    let now = chrono::Utc::now();
    let mut added = 0;
    for e164 in numbers {
        let registration = do_not_call::Registration {
            e164,
            source: do_not_call::Source::Import,
            added_by: Some(user_id),
            call_id: None,
            contact_id: None,
            note: None,
        };
        if do_not_call::register(db, user_id, registration, now)
            .await?
            .1
        {
            added += 1;
        }
    }
    Ok(added)
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
fn existing_numbers(stored: Vec<(ObjectId, String)>) -> HashMap<String, ObjectId> {
    let mut numbers = HashMap::with_capacity(stored.len());
    for (id, stored) in stored {
        let key = phone::to_e164(&stored, None).unwrap_or_else(|_| stored.trim().to_string());
        numbers.entry(key).or_insert(id);
    }
    numbers
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
