//! Every MongoDB read and write of the contacts feature: the one place
//! that builds their filters and updates, so [`ContactChanges::fields`]
//! lists every field a change writes. Each is scoped by `userId`.
//!
//! Search uses case-insensitive regexes on escaped input, not `$text`:
//! SecantusDB has no text index, and a regex also finds partial numbers.
//!
//! One number per contact of a user is kept atomically by `phoneKey`
//! (`<userId hex>:<E.164>`), which every write of a number here sets and
//! the unique partial index `heyway_phoneKey_unique` guards. Documents
//! written before it (production's, possibly duplicated) have no key and
//! are left alone; the pre-check [`phone_taken`] still finds them.

use std::collections::HashMap;

use futures_util::{stream, StreamExt, TryStreamExt};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, DateTime, Document};
use mongodb::error::{ErrorKind, WriteFailure};

use super::input::duplicate_phone;
use super::search::{Search, SortField, SortOrder};
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::regex_escape::escape_regex;
use crate::infra::store::{self, owned, Update};
use crate::model::phone;
use crate::model::{Contact, ContactList, Record};

/// What a missing contact is called in a 404.
pub const WHAT: &str = "contact";
/// Updates in flight at once; the pool is small (4 connections).
const UPDATE_CONCURRENCY: usize = 4;
/// The field of the unique partial index `heyway_phoneKey_unique`.
const PHONE_KEY: &str = "phoneKey";
/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;
/// Fewest digits a search needs before it is also matched against numbers,
/// so a short query like `2` does not match every contact.
const MIN_PHONE_DIGITS: usize = 3;

/// The checked fields one write changes (a `PATCH`, or an import merging
/// a row into a contact the user has); `None` leaves a field as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactChanges {
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    pub tags: Option<Vec<String>>,
    pub metadata: Option<Document>,
    pub is_active: Option<bool>,
    /// `""` clears the zone: the model reads `""` as none, and `$unset`
    /// is avoided so the update stays a pure `$set`.
    pub timezone: Option<String>,
    pub groups: Option<Vec<ObjectId>>,
}

impl ContactChanges {
    /// The `$set` fields, one per change given.
    pub fn fields(&self) -> Document {
        let mut fields = Document::new();
        if let Some(name) = &self.name {
            fields.insert("name", name.as_str());
        }
        if let Some(phone_number) = &self.phone_number {
            fields.insert("phoneNumber", phone_number.as_str());
        }
        if let Some(email) = &self.email {
            fields.insert("email", email.as_str());
        }
        if let Some(tags) = &self.tags {
            fields.insert("tags", tags.clone());
        }
        if let Some(metadata) = &self.metadata {
            fields.insert("metadata", metadata.clone());
        }
        if let Some(active) = self.is_active {
            fields.insert("isActive", active);
        }
        if let Some(zone) = &self.timezone {
            fields.insert("timezone", zone.as_str());
        }
        if let Some(groups) = &self.groups {
            let ids: Vec<Bson> = groups.iter().copied().map(Bson::ObjectId).collect();
            fields.insert("groups", ids);
        }
        fields
    }
}

/// The unique key of `user_id`'s number `e164`: the same number of two
/// users differs, and two spellings of one number are one E.164.
pub fn phone_key(user_id: ObjectId, e164: &str) -> String {
    format!("{}:{e164}", user_id.to_hex())
}

/// Inserts a new contact (its number in E.164) with its `phoneKey`,
/// stamped as `store::insert` stamps: 409 naming `phoneNumber` when the
/// index finds the user already has the number (a create that raced
/// this one won).
pub async fn insert(db: &Db, contact: &Contact) -> Result<Contact> {
    let mut document = bson::to_document(contact)?;
    document.insert(PHONE_KEY, phone_key(contact.user_id, &contact.phone_number));
    store::stamp_new(&mut document, DateTime::now());
    match db.raw(Contact::COLLECTION).insert_one(&document).await {
        Ok(_) => store::decode(document),
        Err(error) if is_duplicate_key(&error) => Err(duplicate_phone()),
        Err(error) => Err(error.into()),
    }
}

/// Applies `changes` to the user's contact `id` with one targeted `$set`,
/// so fields this backend does not know survive; 404 when there is none.
/// A new number sets its `phoneKey` too: 409 naming `phoneNumber` when
/// another contact of the user holds it.
pub async fn update(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    changes: &ContactChanges,
) -> Result<()> {
    let mut fields = changes.fields();
    if let Some(e164) = &changes.phone_number {
        fields.insert(PHONE_KEY, phone_key(user_id, e164));
    }
    match owned::set_fields::<Contact>(db, user_id, id, fields, WHAT).await {
        Err(Error::Database(error)) if is_duplicate_key(&error) => Err(duplicate_phone()),
        other => other,
    }
}

/// Whether `error` is MongoDB's duplicate key error (for contacts, only
/// `heyway_phoneKey_unique` can raise it).
fn is_duplicate_key(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        _ => false,
    }
}

/// Deletes the user's contact `id`; whether there was one.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let result = db
        .raw(Contact::COLLECTION)
        .delete_one(owned::scoped(user_id, id))
        .await?;
    Ok(result.deleted_count > 0)
}

/// Pulls `{contactId}` entries (stored as an id or as its hex) from the
/// user's lists and recounts them, keeping their `contactsCount` equal to
/// what they hold.
pub async fn remove_from_lists(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let forms = vec![Bson::ObjectId(id), Bson::String(id.to_hex())];
    let lists = db.raw(ContactList::COLLECTION);
    let affected: Vec<Document> = lists
        .find(doc! { "userId": user_id, "contacts.contactId": { "$in": forms.clone() } })
        .projection(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?;
    for list in affected {
        let Ok(list_id) = list.get_object_id("_id") else {
            continue;
        };
        let filter = owned::scoped(user_id, list_id);
        lists
            .update_one(
                filter.clone(),
                doc! { "$pull": { "contacts": { "contactId": { "$in": forms.clone() } } } },
            )
            .await?;
        let remaining = lists
            .find_one(filter.clone())
            .projection(doc! { "contacts": 1 })
            .await?
            .and_then(|list| list.get_array("contacts").ok().map(Vec::len))
            .unwrap_or(0);
        let count = i32::try_from(remaining).unwrap_or(i32::MAX);
        let update = Update::new().set("contactsCount", count).build();
        lists.update_one(filter, update).await?;
    }
    Ok(())
}

/// Whether a contact of the user (other than `except`) holds `e164` in
/// any stored form, legacy `2155550123` included.
pub async fn phone_taken(
    db: &Db,
    user_id: ObjectId,
    e164: &str,
    except: Option<ObjectId>,
) -> Result<bool> {
    let mut filter = doc! {
        "userId": user_id,
        "phoneNumber": { "$in": phone::stored_forms(e164) },
    };
    if let Some(id) = except {
        filter.insert("_id", doc! { "$ne": id });
    }
    let existing = db
        .raw(Contact::COLLECTION)
        .find_one(filter)
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(existing.is_some())
}

/// One page of the user's contacts matching `search`, with the total.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    search: &Search<'_>,
    skip: u64,
    limit: u64,
) -> Result<(Vec<Contact>, u64)> {
    let sort = sort(search.sort, search.order);
    store::find_page::<Contact>(db, filter(user_id, search), sort, skip, limit).await
}

/// The filter for `search`, always within `user_id`'s contacts.
fn filter(user_id: ObjectId, search: &Search<'_>) -> Document {
    let mut filter = doc! { "userId": user_id };
    if let Some(text) = search.text {
        filter.insert("$or", matching(text));
    }
    if let Some(id) = search.group {
        // The old app sometimes stored references as hex text.
        filter.insert(
            "groups",
            doc! { "$in": [Bson::ObjectId(id), Bson::String(id.to_hex())] },
        );
    }
    if let Some(tag) = search.tag {
        filter.insert("tags", tag);
    }
    match search.active {
        // A contact nobody deactivated is active.
        Some(true) => filter.insert("isActive", doc! { "$ne": false }),
        Some(false) => filter.insert("isActive", false),
        None => None,
    };
    filter
}

/// Alternatives matching `text` in a name, an email or a number.
fn matching(text: &str) -> Vec<Document> {
    let escaped = escape_regex(text);
    let mut any = vec![
        doc! { "name": { "$regex": escaped.clone(), "$options": "i" } },
        doc! { "email": { "$regex": escaped, "$options": "i" } },
    ];
    if let Some(pattern) = digits_pattern(text) {
        any.push(doc! { "phoneNumber": { "$regex": pattern } });
    }
    // A whole number given with its country code (`+1 215 555 0123`) also
    // finds legacy `2155550123`, whose digits lack the leading 1.
    if let Ok(e164) = phone::to_e164(text, None) {
        any.push(doc! { "phoneNumber": { "$in": phone::stored_forms(&e164) } });
    }
    any
}

/// For phone-like text (digits and `+ ( ) - .` or spaces, at least
/// [`MIN_PHONE_DIGITS`] digits), a regex finding its digits in order with
/// any separators between them, so `(215) 555-01` finds `+12155550123`,
/// `2155550123` and a stored `215-555-0123` alike.
fn digits_pattern(text: &str) -> Option<String> {
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.' | ' '));
    let digits: Vec<char> = text.chars().filter(char::is_ascii_digit).collect();
    if !phone_like || digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    let parts: Vec<String> = digits.iter().map(char::to_string).collect();
    Some(parts.join(r"\D*"))
}

/// The sort, with `_id` breaking ties so pages are stable.
fn sort(field: SortField, order: SortOrder) -> Document {
    let direction = match order {
        SortOrder::Asc => 1,
        SortOrder::Desc => -1,
    };
    let key = match field {
        SortField::Name => "name",
        SortField::CreatedAt => "createdAt",
        SortField::UpdatedAt => "updatedAt",
    };
    doc! { key: direction, "_id": direction }
}

/// The user's contacts' ids and numbers as stored, oldest first.
pub async fn numbers(db: &Db, user_id: ObjectId) -> Result<Vec<(ObjectId, String)>> {
    let documents: Vec<Document> = db
        .raw(Contact::COLLECTION)
        .find(doc! { "userId": user_id })
        .projection(doc! { "_id": 1, "phoneNumber": 1 })
        .sort(doc! { "_id": 1 })
        .await?
        .try_collect()
        .await?;
    let numbers = documents.iter().filter_map(|document| {
        let id = document.get_object_id("_id").ok()?;
        let stored = document.get_str("phoneNumber").ok()?;
        Some((id, stored.to_string()))
    });
    Ok(numbers.collect())
}

/// A new contact's document for an import (stamped `now`), with the
/// `phoneKey` every write of a number sets.
pub fn new_document(contact: &Contact, now: DateTime) -> bson::ser::Result<Document> {
    let mut document = bson::to_document(contact)?;
    document.insert(PHONE_KEY, phone_key(contact.user_id, &contact.phone_number));
    store::stamp_new(&mut document, now);
    Ok(document)
}

/// Inserts new contacts' documents (from [`new_document`]) in one
/// unordered `insert_many`: the positions in `documents` that
/// `heyway_phoneKey_unique` refused, because a contact with the number
/// was created meanwhile. The others are inserted.
pub async fn insert_many(db: &Db, documents: &[&Document]) -> Result<Vec<usize>> {
    let result = db
        .raw(Contact::COLLECTION)
        .insert_many(documents.iter().copied())
        .ordered(false)
        .await;
    match result {
        Ok(_) => Ok(Vec::new()),
        Err(error) => duplicate_positions(&error).ok_or(error.into()),
    }
}

/// The positions an unordered insert refused as duplicates, or `None`
/// when it failed for any other reason.
fn duplicate_positions(error: &mongodb::error::Error) -> Option<Vec<usize>> {
    match error.kind.as_ref() {
        ErrorKind::InsertMany(failure) if failure.write_concern_error.is_none() => {
            let errors = failure.write_errors.as_ref()?;
            errors
                .iter()
                .all(|e| e.code == DUPLICATE_KEY)
                .then(|| errors.iter().map(|e| e.index).collect())
        }
        _ => None,
    }
}

/// The `tags` and `metadata` of the user's contacts among `ids`, by id.
pub async fn tags_and_metadata(
    db: &Db,
    user_id: ObjectId,
    ids: Vec<ObjectId>,
) -> Result<HashMap<ObjectId, Document>> {
    let stored = db
        .raw(Contact::COLLECTION)
        .find(doc! { "_id": { "$in": ids }, "userId": user_id })
        .projection(doc! { "tags": 1, "metadata": 1 })
        .await?
        .try_collect::<Vec<Document>>()
        .await?
        .into_iter()
        .filter_map(|document| Some((document.get_object_id("_id").ok()?, document)))
        .collect();
    Ok(stored)
}

/// Applies each `(id, changes)` to the user's contact, a few at a time,
/// all stamped `now`; how many contacts matched.
pub async fn update_each(
    db: &Db,
    user_id: ObjectId,
    updates: Vec<(ObjectId, ContactChanges)>,
    now: DateTime,
) -> Result<u64> {
    let contacts = db.raw(Contact::COLLECTION);
    let counts: Vec<u64> = stream::iter(updates)
        .map(|(id, changes)| {
            let contacts = contacts.clone();
            let update = Update::new()
                .set_all(changes.fields())
                .stamped_at(now)
                .build();
            async move {
                let result = contacts
                    .update_one(owned::scoped(user_id, id), update)
                    .await?;
                Ok::<_, Error>(result.matched_count)
            }
        })
        .buffer_unordered(UPDATE_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(counts.into_iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_text_matches_digits_with_any_separators() {
        assert_eq!(
            digits_pattern("(215) 555").as_deref(),
            Some(r"2\D*1\D*5\D*5\D*5\D*5")
        );
        assert_eq!(digits_pattern("Adam 2"), None);
        assert_eq!(digits_pattern("21"), None);
    }

    #[test]
    fn filter_is_scoped_to_the_user() {
        let user = ObjectId::new();
        let search = Search {
            active: Some(true),
            ..Search::default()
        };
        let f = filter(user, &search);
        assert_eq!(f.get_object_id("userId").unwrap(), user);
    }

    #[test]
    fn changes_set_only_what_is_given() {
        let changes = ContactChanges {
            name: Some("Ada".into()),
            timezone: Some(String::new()),
            ..ContactChanges::default()
        };
        assert_eq!(changes.fields(), doc! { "name": "Ada", "timezone": "" });
    }
}
