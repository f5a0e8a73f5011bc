use chrono::NaiveDate;
use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::{Deserialize, Serialize};

use super::{record, Contact, Number, ScheduledCallStatus};

/// `scheduledcalls`: one call due at `scheduledTime`, manual or created by
/// an automation, from `pending` through `processing` to an end state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledCall {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    /// `{phoneNumber, name, contactId, …}` per recipient.
    #[serde(default)]
    pub recipients: Vec<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<DateTime>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_id: Option<ObjectId>,
    /// The contact's reference date the due time was computed from;
    /// `null` for calls not relative to a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<DateTime>,
    /// A copy of the contact as it was when the call was scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_data: Option<Document>,
    /// Why the call was not placed, in words for the business owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<ObjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_call_sid: Option<String>,
    /// New in this backend: `automation:contact:due instant`, unique, so an
    /// evaluator that runs twice records a due call once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    /// New in this backend: the contact called (also in `recipients`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ObjectId>,
    /// New in this backend: see [`MANUAL_OPEN_KEY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_open_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(ScheduledCall, "scheduledcalls");

/// `manualOpenKey`: set only on a manual call this backend records (to
/// `<userId>:contact:<contactId>` or `<userId>:number:<E.164>`), and only
/// while the call is open; every write that ends a scheduled call
/// `$unset`s it. Its unique sparse index (`heyway_manualOpenKey_unique`)
/// lets one open manual call per contact or number exist at a time, and
/// leaves legacy documents, which never have the field, alone.
pub const MANUAL_OPEN_KEY: &str = "manualOpenKey";

/// A due call to record (see `features::scheduled_calls::record_all` and
/// `record_and_send`).
#[derive(Clone, Debug)]
pub struct NewScheduledCall {
    pub user_id: ObjectId,
    pub automation_id: Option<ObjectId>,
    pub contact: Contact,
    /// The contact's number in E.164, as it will be dialed.
    pub phone_e164: String,
    /// When to place it (after quiet hours).
    pub scheduled_time: chrono::DateTime<chrono::Utc>,
    /// When it was nominally due; part of the dedupe key.
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub reference_date: Option<NaiveDate>,
    pub call_mode: &'static str,
    /// `pending`, or `missed` when found too late.
    pub status: ScheduledCallStatus,
    /// 0 for the first attempt, then one more per callback.
    pub attempt: u32,
    pub notes: String,
    pub error_message: String,
    /// Placeable now: the evaluator records it `queued` and hands it to
    /// the dial queue at once (`features::scheduled_calls::handoff`), with
    /// no sweep to read it back. Ignored by `record_all`, which records it
    /// `pending` for the sweep.
    pub send_now: bool,
}

impl NewScheduledCall {
    /// One key per automation, contact, due instant and attempt.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.automation_id
                .map_or_else(|| "manual".to_string(), |id| id.to_hex()),
            self.contact.id.to_hex(),
            self.due_at.timestamp(),
            self.attempt
        )
    }
}
