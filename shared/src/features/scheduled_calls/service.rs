//! The `/api/scheduled-calls` rules: listing a user's calls, scheduling a
//! manual call, cancelling one that has not started. Every query is scoped
//! by `userId`.

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::open_calls;
use super::repo::api::{self, ListFilter};
use super::repo::inserts::CheckedCall;
use super::repo::recipient_calls;
use super::view::ScheduledCallView;
use crate::error::{Error, Result};
use crate::http::extract::object_id;
use crate::http::page::{PageQuery, Paged};
use crate::infra::db::Db;
use crate::infra::store::{self, owned};
use crate::model::phone;
use crate::model::{Contact, ScheduledCall, ScheduledCallStatus, User};
use crate::schedule::frequency_caps::FrequencyCaps;

/// How a call speaks.
pub const CALL_MODES: [&str; 3] = ["ai-only", "recording", "recording-ai"];

/// The exact message the old app's validation gave.
pub const PAST_TIME_MESSAGE: &str = "Scheduled time must be in the future for manual calls";

const MAX_NOTES_CHARS: usize = 2000;
const MAX_NAME_CHARS: usize = 200;

/// The list's query parameters.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledCallQuery {
    /// Only calls with this status.
    pub status: Option<String>,
    /// Only calls of this automation (id).
    pub automation_id: Option<String>,
    /// Only calls scheduled at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Only calls scheduled at or before this instant (RFC 3339).
    pub to: Option<String>,
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// `POST /api/scheduled-calls`: a call placed once at `scheduledTime`,
/// to one of the user's contacts (`contactId`) or to a number
/// (`phoneNumber` and `name`). Serialized, it is the request's
/// `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewManualCall {
    pub contact_id: Option<String>,
    /// Any common spelling; dialed in E.164.
    pub phone_number: Option<String>,
    pub name: Option<String>,
    /// RFC 3339, in the future.
    pub scheduled_time: String,
    /// `ai-only` (default), `recording` or `recording-ai`.
    pub call_mode: Option<String>,
    pub notes: Option<String>,
    /// Record the call even if the contact (or number) already has a
    /// manual call pending, queued or in progress; without it that is a
    /// 409 naming the open call.
    #[serde(default)]
    pub allow_concurrent: bool,
}

fn instant(field: &str, raw: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| Error::validation(field, format!("{field} must be an RFC 3339 date-time")))
}

/// The user's scheduled calls, newest `scheduledTime` first.
pub async fn list(
    db: &Db,
    user_id: ObjectId,
    query: &ScheduledCallQuery,
) -> Result<Paged<ScheduledCallView>> {
    let page = PageQuery {
        page: query.page,
        limit: query.limit,
    }
    .validate()?;
    let filter = ListFilter {
        status: query.status.as_deref().map(status).transpose()?,
        automation_id: query
            .automation_id
            .as_deref()
            .map(|id| object_id("automationId", id.trim()))
            .transpose()?,
        from: query
            .from
            .as_deref()
            .map(|from| instant("from", from))
            .transpose()?,
        to: query
            .to
            .as_deref()
            .map(|to| instant("to", to))
            .transpose()?,
    };
    let found = api::page(db, user_id, &filter, page.skip(), page.limit).await?;
    Ok(page.paged(found, |c: ScheduledCall| ScheduledCallView::from(c)))
}

/// The `status` filter: one of [`ScheduledCallStatus::ALL`].
fn status(wanted: &str) -> Result<ScheduledCallStatus> {
    ScheduledCallStatus::parse(wanted.trim()).ok_or_else(|| {
        let known = ScheduledCallStatus::strings(&ScheduledCallStatus::ALL);
        Error::validation(
            "status",
            format!("status must be one of {}", known.join(", ")),
        )
    })
}

/// The user's scheduled call `id`.
pub async fn get(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<ScheduledCall> {
    owned::find(db, user_id, id, "scheduled call").await
}

/// Records a manual call, `pending`, in the shape the evaluator records
/// automation calls in (`automationId: null`, `referenceDate: null`).
pub async fn create_manual(
    db: &Db,
    user_id: ObjectId,
    input: NewManualCall,
    now: DateTime<Utc>,
) -> Result<ScheduledCall> {
    let scheduled_time = instant("scheduledTime", &input.scheduled_time)?;
    if scheduled_time <= now {
        return Err(Error::validation("scheduledTime", PAST_TIME_MESSAGE));
    }
    let call = ManualCall {
        contact_id: input.contact_id,
        phone_number: input.phone_number,
        name: input.name,
        call_mode: input.call_mode,
        notes: input.notes,
        automation: None,
        allow_concurrent: input.allow_concurrent,
    };
    record_manual(db, user_id, call, scheduled_time, None).await
}

/// Whether the manual `call` goes past its owner's frequency caps at its
/// `scheduledTime`, given the number's calls so far (docs/compliance.md):
/// it is placed anyway, and `POST /api/scheduled-calls` says so, as
/// `POST /api/calls` does. Calls placed meanwhile are not foreseen.
pub async fn frequency_cap_passed(
    db: &Db,
    call: &ScheduledCall,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(to) = call
        .recipients
        .first()
        .and_then(|r| r.get_str("phoneNumber").ok())
        .and_then(|raw| phone::to_e164(raw, None).ok())
    else {
        return Ok(false);
    };
    let Some(user) = store::find_by_id::<User>(db, call.user_id).await? else {
        return Ok(false);
    };
    let caps = FrequencyCaps::from_preferences(user.preferences.as_ref());
    if caps.remembered() == 0 {
        return Ok(false);
    }
    let at = call.scheduled_time.map_or(now, |t| t.to_chrono()).max(now);
    let times = recipient_calls::recent_times(db, call.user_id, &to).await?;
    Ok(caps.next_allowed(&times, at).is_some())
}

/// A manual call's who and how, before it is checked; shared by
/// `POST /api/scheduled-calls` (at a future time) and `POST /api/calls`
/// (now).
#[derive(Clone, Debug, Default)]
pub struct ManualCall {
    pub contact_id: Option<String>,
    pub phone_number: Option<String>,
    pub name: Option<String>,
    pub call_mode: Option<String>,
    pub notes: Option<String>,
    /// The user's automation whose script the call uses (already checked
    /// to be theirs), and its call mode, the default for `call_mode`.
    pub automation: Option<(ObjectId, &'static str)>,
    /// Record it even if the callee has an open manual call
    /// (`open_calls.rs`).
    pub allow_concurrent: bool,
}

/// Checks `call` and records it at `scheduled_time`: `pending`, or
/// already claimed for sending (`enqueuing` with the token, as
/// [`super::sweep`] claims) when `claim` is given. The caller decides
/// whether the time may be now. A callee with an open manual call is a
/// 409 naming it, unless `call.allow_concurrent` (`open_calls.rs`).
pub async fn record_manual(
    db: &Db,
    user_id: ObjectId,
    call: ManualCall,
    scheduled_time: DateTime<Utc>,
    claim: Option<ObjectId>,
) -> Result<ScheduledCall> {
    let default_mode = call.automation.map_or("ai-only", |(_, mode)| mode);
    let call_mode = call_mode(call.call_mode.as_deref(), default_mode)?;
    let notes = notes(call.notes.as_deref())?;
    let callee = match call.contact_id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => contact_callee(db, user_id, id).await?,
        _ => number_callee(call.phone_number.as_deref(), call.name.as_deref())?,
    };
    let checked = CheckedCall {
        user_id,
        name: callee.name,
        phone_e164: callee.phone_e164,
        email: callee.email,
        contact_id: callee.contact_id,
        notes,
        scheduled_time,
        call_mode,
        automation_id: call.automation.map(|(id, _)| id),
        claim,
    };
    open_calls::record(db, &checked, call.allow_concurrent).await
}

/// `callMode`, one of [`CALL_MODES`]; `default` when blank.
fn call_mode(wanted: Option<&str>, default: &'static str) -> Result<&'static str> {
    match wanted.map(str::trim) {
        None | Some("") => Ok(default),
        Some(mode) => CALL_MODES
            .iter()
            .copied()
            .find(|known| *known == mode)
            .ok_or_else(|| {
                Error::validation(
                    "callMode",
                    format!("callMode must be one of {}", CALL_MODES.join(", ")),
                )
            }),
    }
}

/// `notes`, trimmed, at most [`MAX_NOTES_CHARS`].
fn notes(notes: Option<&str>) -> Result<String> {
    let notes = notes.unwrap_or_default().trim().to_string();
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(Error::validation(
            "notes",
            format!("notes must be at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    Ok(notes)
}

/// Whom a manual call rings.
struct Callee {
    name: String,
    phone_e164: String,
    /// The contact's; empty for a number.
    email: String,
    contact_id: Option<ObjectId>,
}

/// The user's contact `id`, with a callable number.
async fn contact_callee(db: &Db, user_id: ObjectId, id: &str) -> Result<Callee> {
    let id = object_id("contactId", id)?;
    let contact: Contact = store::find_one(db, owned::scoped(user_id, id))
        .await?
        .ok_or_else(|| Error::validation("contactId", "no such contact"))?;
    let phone_e164 = contact.phone_e164(None).ok_or_else(|| {
        Error::validation("contactId", "the contact has no callable phone number")
    })?;
    Ok(Callee {
        email: contact.email().unwrap_or_default().to_string(),
        name: contact.name,
        phone_e164,
        contact_id: Some(id),
    })
}

/// A number and a name given by hand.
fn number_callee(phone_number: Option<&str>, name: Option<&str>) -> Result<Callee> {
    let raw = phone_number
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .ok_or_else(|| Error::validation("phoneNumber", "contactId or phoneNumber is required"))?;
    let phone_e164 = phone::to_e164(raw, None)
        .map_err(|reason| Error::validation("phoneNumber", format!("phoneNumber {reason}")))?;
    let name = name
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Error::validation("name", "name is required with phoneNumber"))?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(
            "name",
            format!("name must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(Callee {
        name: name.to_string(),
        phone_e164,
        email: String::new(),
        contact_id: None,
    })
}

/// Cancels the call if it has not started, atomically: the status is in
/// the update's filter, so a dialer that claimed it meanwhile wins. A call
/// already cancelled answers as it is; one that started is a conflict.
pub async fn cancel(db: &Db, user_id: ObjectId, id: ObjectId) -> Result<ScheduledCall> {
    let cancelled = api::cancel_not_started(db, user_id, id).await?;
    let call = get(db, user_id, id).await?;
    if !cancelled && call.status != ScheduledCallStatus::Cancelled.as_str() {
        return Err(Error::Conflict {
            field: Some("status".into()),
            message: "call has already started".into(),
        });
    }
    Ok(call)
}
