//! Every query and write of the calls API: the list's and the stats'
//! filter, the page of calls, the dashboard's aggregation, the owner's
//! follow-up fields and the user's timezone the date filters read.
//!
//! Services hand over typed values ([`CallFilter`], the follow-up fields);
//! only this file spells the stored fields a filter or update names.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use super::stored::StoredCall;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::regex_escape::escape_regex;
use crate::infra::store::{self, owned};
use crate::model::{Call, CallStatus, Record, User};

/// Which of a user's calls to read. Every field narrows the calls; the
/// default (empty lists, `None`s) reads them all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallFilter {
    /// Any of these statuses.
    pub statuses: Vec<CallStatus>,
    /// Any of these `analysis.category` values.
    pub categories: Vec<String>,
    /// `analysis.followUpNeeded` is `true`, or absent/`false`.
    pub follow_up_needed: Option<bool>,
    /// `analysis.followUpDone` is `true`, or absent/`false`.
    pub follow_up_done: Option<bool>,
    pub automation_id: Option<ObjectId>,
    /// `isInbound` is `true`, or absent/`false`.
    pub inbound: Option<bool>,
    pub created: CreatedRange,
    pub contact: Option<ContactMatch>,
    pub search: Option<Search>,
}

/// Bounds on `createdAt`; `None`: unbounded on that side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CreatedRange {
    /// At or after.
    pub from: Option<DateTime>,
    pub to: Option<Until>,
}

/// The upper bound of a [`CreatedRange`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Until {
    /// Strictly before (the first instant of the day after a bare day).
    Before(DateTime),
    /// At or before (an instant given as such).
    AtOrBefore(DateTime),
}

impl Until {
    pub fn instant(self) -> DateTime {
        match self {
            Self::Before(at) | Self::AtOrBefore(at) => at,
        }
    }
}

/// Calls with a contact: by its id on the call or a participant, or by one
/// of its `numbers` among the participants (the old app's calls only kept
/// the number).
#[derive(Clone, Debug, PartialEq)]
pub struct ContactMatch {
    pub id: ObjectId,
    /// Every form the number may be stored in; empty when it has none.
    pub numbers: Vec<String>,
}

/// A search among the participants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// A phone number's digits, anywhere in a participant's number.
    Digits(String),
    /// Text in a participant's name or number, any case.
    Text(String),
}

/// The user's calls matching `filter`, newest first, `skip`ped and
/// `limit`ed, with how many match in all.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    filter: &CallFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<StoredCall>, u64)> {
    let sort = doc! { "createdAt": -1, "_id": -1 };
    store::find_page(db, filter_of(user_id, filter), sort, skip, limit).await
}

/// The MongoDB filter for `user_id`'s calls matching `filter`.
pub fn filter_of(user_id: ObjectId, filter: &CallFilter) -> Document {
    let mut query = doc! { "userId": user_id };
    if !filter.statuses.is_empty() {
        let statuses = CallStatus::strings(&filter.statuses);
        query.insert("status", one_or_in(statuses));
    }
    if !filter.categories.is_empty() {
        let categories = filter.categories.iter().map(String::as_str).collect();
        query.insert("analysis.category", one_or_in(categories));
    }
    if let Some(wanted) = filter.follow_up_needed {
        query.insert("analysis.followUpNeeded", flag(wanted));
    }
    if let Some(wanted) = filter.follow_up_done {
        query.insert("analysis.followUpDone", flag(wanted));
    }
    if let Some(id) = filter.automation_id {
        query.insert("automationId", id);
    }
    if let Some(wanted) = filter.inbound {
        query.insert("isInbound", flag(wanted));
    }
    if let Some(range) = created_filter(&filter.created) {
        query.insert("createdAt", range);
    }
    let mut all_of: Vec<Document> = Vec::new();
    if let Some(contact) = &filter.contact {
        all_of.push(contact_filter(contact));
    }
    if let Some(search) = &filter.search {
        all_of.push(search_filter(search));
    }
    if !all_of.is_empty() {
        query.insert("$and", all_of);
    }
    query
}

fn one_or_in(values: Vec<&str>) -> Bson {
    match values.as_slice() {
        [one] => Bson::String((*one).to_string()),
        _ => Bson::Document(doc! { "$in": values }),
    }
}

/// A flag stored as `true`, or absent/`false`.
fn flag(wanted: bool) -> Bson {
    if wanted {
        Bson::Boolean(true)
    } else {
        Bson::Document(doc! { "$ne": true })
    }
}

/// `{$gte, $lt | $lte}` on `createdAt`, or `None` without bounds.
pub fn created_filter(range: &CreatedRange) -> Option<Document> {
    let mut bounds = Document::new();
    if let Some(from) = range.from {
        bounds.insert("$gte", from);
    }
    match range.to {
        Some(Until::Before(at)) => {
            bounds.insert("$lt", at);
        }
        Some(Until::AtOrBefore(at)) => {
            bounds.insert("$lte", at);
        }
        None => {}
    }
    (!bounds.is_empty()).then_some(bounds)
}

fn contact_filter(contact: &ContactMatch) -> Document {
    let mut any_of = vec![
        doc! { "contactId": contact.id },
        doc! { "participants.contactId": contact.id },
    ];
    if !contact.numbers.is_empty() {
        any_of.push(doc! { "participants.phoneNumber": { "$in": &contact.numbers } });
    }
    doc! { "$or": any_of }
}

/// A participant matching `search`, literally (regex characters escaped).
pub fn search_filter(search: &Search) -> Document {
    match search {
        Search::Digits(digits) => {
            doc! { "participants.phoneNumber": { "$regex": escape_regex(digits) } }
        }
        Search::Text(text) => doc! { "$or": [
            { "participants.name": { "$regex": escape_regex(text), "$options": "i" } },
            { "participants.phoneNumber": { "$regex": escape_regex(text), "$options": "i" } },
        ] },
    }
}

/// The dashboard's numbers of `user_id`'s calls matching `filter`, counted
/// by the database in one aggregation (`$match` on the
/// `userId_1_createdAt_-1` index, then one `$facet` of three `$group`s):
/// `byStatus` and `byCategory` groups (`_id`, `count`) and one `totals`
/// group (`total`, `answered`, `followUpsOpen`, `seconds`). `None` when
/// the database answered no facet.
pub async fn stats_facet(
    db: &Db,
    user_id: ObjectId,
    filter: &CallFilter,
) -> Result<Option<Document>> {
    let facets: Vec<Document> = db
        .raw(Call::COLLECTION)
        .aggregate(stats_pipeline(filter_of(user_id, filter)))
        .await?
        .try_collect()
        .await?;
    Ok(facets.into_iter().next())
}

fn stats_pipeline(filter: Document) -> Vec<Document> {
    // Picked up by a person: answered, and not by a machine.
    let answered = doc! { "$and": [
        { "$in": ["$status", CallStatus::strings(&CallStatus::ANSWERED)] },
        { "$ne": [
            { "$substrCP": [{ "$ifNull": ["$answeredBy", ""] }, 0, 7] },
            "machine",
        ] },
    ] };
    let open = doc! { "$and": [
        { "$eq": ["$analysis.followUpNeeded", true] },
        { "$ne": ["$analysis.followUpDone", true] },
    ] };
    vec![
        doc! { "$match": filter },
        doc! { "$facet": {
            "byStatus": [{ "$group": { "_id": "$status", "count": { "$sum": 1 } } }],
            "byCategory": [{ "$group": { "_id": "$analysis.category", "count": { "$sum": 1 } } }],
            "totals": [{ "$group": {
                "_id": Bson::Null,
                "total": { "$sum": 1 },
                "answered": { "$sum": { "$cond": [answered, 1, 0] } },
                "followUpsOpen": { "$sum": { "$cond": [open, 1, 0] } },
                // `$sum` adds int32, int64 and double alike and skips
                // anything else (a duration stored as text).
                "seconds": { "$sum": "$metrics.duration" },
            } }],
        } },
    ]
}

/// `$set`s the follow-up `fields` (keys without the `analysis.` prefix)
/// on the user's call `id`, with a fresh `updatedAt`. Into the stored
/// `analysis` when `has_analysis`; otherwise (absent or `null`, where a
/// dotted `$set` fails) as a whole new `analysis`, only if it is still
/// missing. `NotFound` when the call is gone, or its analysis appeared
/// meanwhile.
pub async fn set_follow_up(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    fields: Document,
    has_analysis: bool,
) -> Result<()> {
    let mut filter = owned::scoped(user_id, id);
    let set = if has_analysis {
        dotted(fields)
    } else {
        filter.insert("analysis", Bson::Null);
        doc! { "analysis": fields }
    };
    store::set_fields::<StoredCall>(db, filter, set).await
}

/// `fields` as dotted `$set` paths into an existing `analysis`.
pub(super) fn dotted(fields: Document) -> Document {
    fields
        .into_iter()
        .map(|(key, value)| (format!("analysis.{key}"), value))
        .collect()
}

/// The user's IANA zone name (`users.timezone`), as stored.
pub async fn user_timezone(db: &Db, user_id: ObjectId) -> Result<Option<String>> {
    let user = db
        .raw(User::COLLECTION)
        .find_one(doc! { "_id": user_id })
        .projection(doc! { "timezone": 1 })
        .await?;
    Ok(user
        .as_ref()
        .and_then(|user| user.get_str("timezone").ok())
        .map(str::to_string))
}
