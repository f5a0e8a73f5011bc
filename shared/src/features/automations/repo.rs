//! Every read and write of the automations feature: its automations, the
//! scheduled calls they recorded, and the contacts and recordings they
//! name, always within one user's documents.
//!
//! This is the one place that knows how an automation's fields are
//! stored: [`insert`] and [`update`] turn [`AutomationChanges`] into the
//! document or the targeted `$set`/`$unset`, so a `PATCH` touches only the
//! fields given and legacy and unknown fields survive.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use futures_util::{stream, StreamExt, TryStreamExt};
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

use super::changes::{AutomationChanges, CompleteTiming, TimingChange};
use super::input::TimingMode;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store::{self, owned, Update};
use crate::model::{Automation, Contact, Record, Recording, ScheduledCall, ScheduledCallStatus};
use crate::schedule::at_local;

/// What a missing (or another user's) automation is reported as.
const WHAT: &str = "automation";

/// Contact ids per query of [`active_contacts`]. A server may test `$in`
/// against each document one value at a time (SecantusDB does): a list of
/// a thousand costs a thousand times more per document than a list of
/// one, so a large automation is read in slices, a few at once.
const CONTACTS_PER_QUERY: usize = 50;
/// Slices of [`active_contacts`] in flight at once.
const CONTACT_QUERIES_AT_ONCE: usize = 4;

/// The automation's contacts that may be called: its owner's, active.
pub async fn active_contacts(db: &Db, automation: &Automation) -> Result<Vec<Contact>> {
    // Once each, as one `$in` over them all would answer.
    let mut seen = HashSet::new();
    let ids: Vec<ObjectId> = automation
        .contact_ids()
        .into_iter()
        .filter(|id| seen.insert(*id))
        .collect();
    let user_id = automation.user_id;
    let slices: Vec<Vec<ObjectId>> = ids.chunks(CONTACTS_PER_QUERY).map(<[_]>::to_vec).collect();
    let slices: Vec<Vec<Contact>> = stream::iter(slices)
        .map(|slice| async move { active_among(db, user_id, &slice).await })
        .buffered(CONTACT_QUERIES_AT_ONCE)
        .try_collect()
        .await?;
    Ok(slices.into_iter().flatten().collect())
}

/// The contacts among `ids` that are `user_id`'s and active.
async fn active_among(db: &Db, user_id: ObjectId, ids: &[ObjectId]) -> Result<Vec<Contact>> {
    let documents: Vec<Document> = db
        .raw(Contact::COLLECTION)
        .find(doc! {
            "_id": { "$in": ids },
            "userId": user_id,
            "isActive": { "$ne": false },
            "optedOut": { "$ne": true },
        })
        .await?
        .try_collect()
        .await?;
    documents.into_iter().map(store::decode).collect()
}

/// Which of `ids` are the user's contacts, active or not.
pub async fn owned_contacts(
    db: &Db,
    user_id: ObjectId,
    ids: &[ObjectId],
) -> Result<HashSet<ObjectId>> {
    owned::owned_among(db, Contact::COLLECTION, user_id, ids).await
}

/// The contacts among `ids` that are `user_id`'s, active or not: for the
/// preview to tell why one is not called.
pub async fn owned_contacts_among(
    db: &Db,
    user_id: ObjectId,
    ids: &[ObjectId],
) -> Result<Vec<Contact>> {
    let documents: Vec<Document> = db
        .raw(Contact::COLLECTION)
        .find(doc! { "_id": { "$in": ids }, "userId": user_id })
        .await?
        .try_collect()
        .await?;
    documents.into_iter().map(store::decode).collect()
}

/// Whether recording `id` is the user's.
pub async fn owns_recording(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<bool> {
    let found = owned::owned_among(db, Recording::COLLECTION, user_id, &[id]).await?;
    Ok(found.contains(&id))
}

/// One page of the user's automations, newest first, with how many there
/// are; `active` keeps only active (`true`) or paused (`false`) ones.
pub async fn page(
    db: &Db,
    user_id: ObjectId,
    active: Option<bool>,
    skip: u64,
    limit: u64,
) -> Result<(Vec<Automation>, u64)> {
    let mut filter = doc! { "userId": user_id };
    match active {
        Some(true) => {
            filter.insert("isActive", true);
        }
        Some(false) => {
            filter.insert("isActive", doc! { "$ne": true });
        }
        None => {}
    }
    let newest_first = doc! { "createdAt": -1, "_id": -1 };
    store::find_page(db, filter, newest_first, skip, limit).await
}

/// The user's automation `id`, or a 404.
pub async fn find(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<Automation> {
    owned::find(db, user_id, id, WHAT).await
}

/// Stores a new automation of the user in the second-generation shape,
/// with the Node app's counters. `nextRun` and `lastRun` are `now`, and
/// every contact joined `now`.
pub async fn insert(
    db: &Db,
    user_id: ObjectId,
    changes: &AutomationChanges,
    now: DateTime,
) -> Result<Automation> {
    let mut document = stored_fields(changes);
    document.insert("_id", ObjectId::new());
    document.insert("userId", user_id);
    document.insert("pendingCount", 0_i32);
    document.insert("completedCount", 0_i32);
    document.insert("executionHistory", Vec::<Bson>::new());
    document.insert("nextRun", now);
    document.insert("lastRun", now);
    let contacts = changes.contacts.as_deref().unwrap_or_default();
    document.insert("contactsJoinedAt", joined(&Document::new(), contacts, now));
    let automation: Automation = store::decode(document)?;
    store::insert(db, &automation).await
}

/// Writes `changes` to `existing` with one targeted update stamped `now`.
///
/// A change that [reschedules](AutomationChanges::reschedules) sets
/// `nextRun` to `now` so the next evaluator pass looks at it; `lastRun` is
/// kept, so an occurrence the change moves into `(lastRun, now]` is still
/// placed. Contacts new to the automation joined `now`. A
/// [`TimingChange::Migration`] also `$unset`s `triggerType`.
pub async fn update(
    db: &Db,
    existing: &Automation,
    changes: &AutomationChanges,
    now: DateTime,
) -> Result<()> {
    let mut update = Update::new().set_all(stored_fields(changes));
    if changes.reschedules() {
        update = update.set("nextRun", now);
    }
    if let Some(contacts) = &changes.contacts {
        let known = existing.contacts_joined_at.clone().unwrap_or_default();
        let joined = joined(&known, contacts, now);
        if joined != known {
            update = update.set("contactsJoinedAt", joined);
        }
    }
    if let TimingChange::Migration(_) = changes.timing {
        update = update.unset("triggerType");
    }
    let filter = owned::scoped(existing.user_id, existing.id);
    store::update_one::<Automation>(db, filter, update.stamped_at(now))
        .await
        .map_err(not_found)
}

/// Deletes the user's automation `id`, or a 404.
pub async fn delete(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    let result = db
        .raw(Automation::COLLECTION)
        .delete_one(owned::scoped(user_id, id))
        .await?;
    if result.deleted_count == 0 {
        return Err(Error::NotFound { what: WHAT });
    }
    Ok(())
}

/// `isActive: false`, or a 404.
pub async fn pause(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<()> {
    owned::set_fields::<Automation>(db, user_id, id, doc! { "isActive": false }, WHAT).await
}

/// `isActive: true`, running from `now`, or a 404.
pub async fn activate(db: &Db, user_id: ObjectId, id: ObjectId, now: DateTime) -> Result<()> {
    let fields = doc! { "isActive": true, "nextRun": now, "lastRun": now };
    owned::set_fields::<Automation>(db, user_id, id, fields, WHAT).await
}

/// Stores the automation's `pendingCount`, or a 404.
pub async fn set_pending_count(db: &Db, user_id: ObjectId, id: ObjectId, count: u64) -> Result<()> {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    owned::set_fields::<Automation>(db, user_id, id, doc! { "pendingCount": count }, WHAT).await
}

/// How many of the automation's scheduled calls are open (not ended).
pub async fn count_open_calls(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<u64> {
    let open = ScheduledCallStatus::strings(&ScheduledCallStatus::OPEN);
    let count = db
        .raw(ScheduledCall::COLLECTION)
        .count_documents(doc! { "automationId": id, "userId": user_id, "status": { "$in": open } })
        .await?;
    Ok(count)
}

/// Cancels the automation's scheduled calls that have not started, and
/// says how many.
pub async fn cancel_not_started(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<u64> {
    let not_started = ScheduledCallStatus::strings(&ScheduledCallStatus::NOT_STARTED);
    let result = db
        .raw(ScheduledCall::COLLECTION)
        .update_many(
            doc! { "automationId": id, "userId": user_id, "status": { "$in": not_started } },
            Update::new()
                .set("status", ScheduledCallStatus::Cancelled)
                .build(),
        )
        .await?;
    Ok(result.modified_count)
}

fn not_found(error: Error) -> Error {
    match error {
        Error::NotFound { .. } => Error::NotFound { what: WHAT },
        other => other,
    }
}

/// The fields `changes` writes, as production stores them, in the order
/// of the body.
fn stored_fields(changes: &AutomationChanges) -> Document {
    let mut set = Document::new();
    given(&mut set, "name", changes.name.clone());
    given(&mut set, "description", changes.description.clone());
    given(&mut set, "isActive", changes.is_active);
    timing_fields(&mut set, &changes.timing);
    nullable(&mut set, "referenceField", changes.reference_field.clone());
    nullable(&mut set, "aiInstructions", changes.ai_instructions.clone());
    nullable(&mut set, "voiceAudioUrl", changes.voice_audio_url.clone());
    given(&mut set, "useAIVoice", changes.use_ai_voice);
    nullable(&mut set, "aiVoiceText", changes.ai_voice_text.clone());
    given(&mut set, "useAIResponse", changes.use_ai_response);
    given(&mut set, "enableCallback", changes.enable_callback);
    given(
        &mut set,
        "callbackDelayMinutes",
        changes.callback_delay_minutes,
    );
    nullable(
        &mut set,
        "callbackMaxDelayDays",
        changes.callback_max_delay_days,
    );
    let callback_time = changes
        .callback_time_of_day
        .map(|time| time.map(clock_text));
    nullable(&mut set, "callbackTimeOfDay", callback_time);
    nullable(&mut set, "callbackOn", changes.callback_on.clone());
    given(&mut set, "retryCount", changes.retry_count);
    if let Some(ids) = &changes.contacts {
        set.insert("contacts", ids.clone());
        set.insert(
            "contactsCount",
            i32::try_from(ids.len()).unwrap_or(i32::MAX),
        );
    }
    // Production stores the recording reference as hex text.
    let recording = changes.audio_message.map(|id| id.map(|id| id.to_hex()));
    nullable(&mut set, "audioMessage", recording);
    set
}

/// The timing fields: those given, or the complete timing.
fn timing_fields(set: &mut Document, timing: &TimingChange) {
    match timing {
        TimingChange::Fields {
            given: fields,
            zone,
        } => {
            given(set, "timingMode", fields.mode.map(TimingMode::as_str));
            given(set, "daysOffset", fields.days_offset);
            let fixed_date = fields.fixed_date.map(|day| fixed_date(day, *zone));
            given(set, "fixedDate", fixed_date);
            given(set, "timeOfDay", fields.time_of_day.map(clock_text));
            given(set, "timezone", fields.timezone.map(|zone| zone.name()));
        }
        TimingChange::New(complete) | TimingChange::Migration(complete) => {
            complete_timing(set, complete);
        }
    }
}

fn complete_timing(set: &mut Document, timing: &CompleteTiming) {
    given(set, "timingMode", timing.mode.map(TimingMode::as_str));
    set.insert("daysOffset", timing.days_offset);
    set.insert("fixedDate", fixed_date(timing.fixed_date, timing.timezone));
    set.insert("timeOfDay", clock_text(timing.time_of_day));
    set.insert("timezone", timing.timezone.name());
}

/// Sets `key` when a value is given.
fn given(set: &mut Document, key: &str, value: Option<impl Into<Bson>>) {
    if let Some(value) = value {
        set.insert(key, value);
    }
}

/// Sets `key` when given: to the value, or `null` when cleared.
fn nullable<T: Into<Bson>>(set: &mut Document, key: &str, value: Option<Option<T>>) {
    given(
        set,
        key,
        value.map(|value| value.map_or(Bson::Null, Into::into)),
    );
}

/// `fixedDate` as stored: the day's text, or `null`.
fn fixed_date(day: Option<NaiveDate>, zone: Tz) -> Bson {
    day.map_or(Bson::Null, |day| Bson::String(fixed_date_text(day, zone)))
}

/// The day as production stores `fixedDate`: local midnight in `zone`
/// with its offset, `"2025-09-17T00:00:00.000-04:00"`.
pub fn fixed_date_text(day: NaiveDate, zone: Tz) -> String {
    at_local(day, NaiveTime::MIN, zone)
        .with_timezone(&zone)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// A time of day as stored, `HH:MM`.
fn clock_text(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// `contactsJoinedAt` (contact id hex → when it joined) with the contacts
/// not in `known` joined `now`: their day is the reference date of last
/// resort.
fn joined(known: &Document, contacts: &[ObjectId], now: DateTime) -> Document {
    let mut joined = known.clone();
    for id in contacts {
        if !joined.contains_key(id.to_hex()) {
            joined.insert(id.to_hex(), now);
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_dates_carry_the_zone_offset() {
        let day = NaiveDate::from_ymd_opt(2025, 9, 17).unwrap();
        assert_eq!(
            fixed_date_text(day, chrono_tz::America::New_York),
            "2025-09-17T00:00:00.000-04:00"
        );
        assert_eq!(
            fixed_date_text(day, chrono_tz::UTC),
            "2025-09-17T00:00:00.000+00:00"
        );
    }
}
