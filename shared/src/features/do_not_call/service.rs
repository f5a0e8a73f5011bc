//! The do-not-call registry's logic: registering a number from any source,
//! recording a removal, and the check made before every call.
//!
//! A number is registered in E.164 with all its stored forms
//! ([`phone::stored_forms`]), so a contact kept in a legacy unprefixed form
//! (`2155550100`) still matches. Registering takes effect at once: the
//! evaluator and the dialer read the registry before each call.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use mongodb::bson::{self, oid::ObjectId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::repo;
use super::view::{DoNotCallView, Registered};
use crate::error::{Error, Result};
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::phone;
use crate::model::{DoNotCall, User};

/// What the dialer records as the refused call's `errorMessage`.
pub const UNAVAILABLE_MESSAGE: &str =
    "This number is on your do-not-call list: the recipient asked not to be called. Remove it from the list only if they agreed to be called again.";

/// At most this many characters of note or removal reason.
pub const MAX_NOTE: usize = 500;

/// Where an opt-out came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The agent heard the recipient ask not to be called.
    Agent,
    /// The owner, through `POST /api/do-not-call`.
    Manual,
    /// A do-not-call column of a contacts import.
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Manual => "manual",
            Self::Import => "import",
        }
    }
}

/// One opt-out to record.
#[derive(Clone, Debug)]
pub struct Registration {
    /// E.164.
    pub e164: String,
    pub source: Source,
    pub added_by: Option<ObjectId>,
    pub call_id: Option<ObjectId>,
    pub contact_id: Option<ObjectId>,
    pub note: Option<String>,
}

/// Registers `registration` for `user_id` at `at`: the active entry and
/// whether this call created it. Concurrent registrations of one number
/// leave one active entry (its unique `activeKey`).
pub async fn register(
    db: &Db,
    user_id: ObjectId,
    registration: Registration,
    at: DateTime<Utc>,
) -> Result<(DoNotCall, bool)> {
    let forms = phone::stored_forms(&registration.e164);
    if let Some(entry) = repo::find_active(db, user_id, &forms).await? {
        return Ok((entry, false));
    }
    let entry = DoNotCall {
        id: ObjectId::new(),
        user_id,
        active_key: Some(DoNotCall::active_key(user_id, &registration.e164)),
        phone_number: registration.e164,
        phone_forms: forms.clone(),
        source: registration.source.as_str().to_string(),
        added_at: bson::DateTime::from_chrono(at),
        added_by: registration.added_by,
        call_id: registration.call_id,
        contact_id: registration.contact_id,
        note: registration.note,
        removed_at: None,
        removed_by: None,
        removal_reason: None,
        created_at: None,
        updated_at: None,
        version: None,
    };
    if repo::insert_active(db, &entry).await? {
        tracing::info!(user = %user_id, source = entry.source, "number added to the do-not-call registry");
        repo::mirror_on_contacts(db, user_id, &forms, true, entry.added_at).await?;
        let stored = repo::find_active(db, user_id, &forms).await?;
        return Ok((stored.unwrap_or(entry), true));
    }
    // Another request registered it first.
    let existing = repo::find_active(db, user_id, &forms).await?;
    existing
        .map(|entry| (entry, false))
        .ok_or_else(|| Error::Internal("do-not-call entry vanished while registering".into()))
}

/// `user_id`'s active entry for `e164`, if the number is registered.
pub async fn is_registered(db: &Db, user_id: ObjectId, e164: &str) -> Result<Option<DoNotCall>> {
    repo::find_active(db, user_id, &phone::stored_forms(e164)).await
}

/// Of `numbers` (E.164), those `user_id` registered.
pub async fn registered_among(
    db: &Db,
    user_id: ObjectId,
    numbers: &[String],
) -> Result<HashSet<String>> {
    let forms: Vec<String> = numbers
        .iter()
        .flat_map(|n| phone::stored_forms(n))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let found = repo::active_forms_among(db, user_id, &forms).await?;
    Ok(numbers
        .iter()
        .filter(|n| phone::stored_forms(n).iter().any(|f| found.contains(f)))
        .cloned()
        .collect())
}

/// `POST /api/do-not-call`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewEntry {
    /// The number in any common spelling; read in the owner's region
    /// when it has no country code.
    #[schema(example = "+12125550144")]
    pub phone_number: String,
    /// Why, in the owner's words (at most 500 characters).
    pub note: Option<String>,
}

/// `GET /api/do-not-call` filters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
    /// Only this number's entries (any spelling).
    pub phone_number: Option<String>,
    /// Also list removed entries (default `false`).
    pub include_removed: Option<bool>,
}

/// `DELETE /api/do-not-call/{phoneNumber}` options.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RemoveQuery {
    /// Why the number may be called again (at most 500 characters).
    pub reason: Option<String>,
}

/// The owner's region for reading numbers without a country code.
async fn region(db: &Db, user_id: ObjectId) -> Result<Option<phonenumber::country::Id>> {
    let user: Option<User> = store::find_by_id(db, user_id).await?;
    Ok(user.and_then(|u| u.phone_region()))
}

/// `raw` as E.164 in `user_id`'s region, or a 422 naming `field`.
async fn number(db: &Db, user_id: ObjectId, field: &str, raw: &str) -> Result<String> {
    let region = region(db, user_id).await?;
    phone::to_e164(raw, region).map_err(|e| Error::validation(field, format!("{field} {e}")))
}

fn note(field: &str, value: Option<String>) -> Result<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let value = value.trim();
    if value.chars().count() > MAX_NOTE {
        return Err(Error::validation(
            field,
            format!("{field} must be at most {MAX_NOTE} characters"),
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_string()))
}

/// The owner registers a number.
pub async fn add(
    db: &Db,
    user_id: ObjectId,
    new: NewEntry,
    now: DateTime<Utc>,
) -> Result<Registered> {
    let note = note("note", new.note)?;
    let e164 = number(db, user_id, "phoneNumber", &new.phone_number).await?;
    let registration = Registration {
        e164,
        source: Source::Manual,
        added_by: Some(user_id),
        call_id: None,
        contact_id: None,
        note,
    };
    let (entry, created) = register(db, user_id, registration, now).await?;
    Ok(Registered {
        created,
        entry: DoNotCallView::from(&entry),
    })
}

/// One page of the owner's registry.
pub async fn list(db: &Db, user_id: ObjectId, query: ListQuery) -> Result<Paged<DoNotCallView>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let forms = match query.phone_number.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(phone::stored_forms(
            &number(db, user_id, "phoneNumber", raw).await?,
        )),
        _ => None,
    };
    let found = repo::page(
        db,
        user_id,
        forms.as_deref(),
        query.include_removed.unwrap_or(false),
        page.skip(),
        page.limit,
    )
    .await?;
    Ok(page.paged(found, |entry| DoNotCallView::from(&entry)))
}

/// The owner removes a number: the entry is kept, marked removed.
pub async fn remove(
    db: &Db,
    user_id: ObjectId,
    raw: &str,
    query: RemoveQuery,
    now: DateTime<Utc>,
) -> Result<DoNotCallView> {
    let reason = note("reason", query.reason)?;
    let e164 = number(db, user_id, "phoneNumber", raw).await?;
    let at = bson::DateTime::from_chrono(now);
    let removed = repo::remove(
        db,
        user_id,
        &phone::stored_forms(&e164),
        user_id,
        reason.as_deref(),
        at,
    )
    .await?
    .ok_or(Error::NotFound {
        what: "do-not-call entry",
    })?;
    repo::mirror_on_contacts(db, user_id, &removed.phone_forms, false, at).await?;
    tracing::info!(user = %user_id, "number removed from the do-not-call registry");
    Ok(DoNotCallView::from(&removed))
}
