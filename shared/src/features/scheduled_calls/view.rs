//! The JSON shape of a scheduled call the API answers with.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::phone;
use crate::model::ScheduledCall;

/// Who a call rings.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecipientView {
    pub name: Option<String>,
    /// E.164 when the stored number parses, else as stored.
    pub phone_number: Option<String>,
}

/// A scheduled call as the frontend reads it; legacy documents included.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledCallView {
    pub id: String,
    /// `pending`, `enqueuing`, `queued`, `processing`, `completed`,
    /// `failed`, `cancelled` or `missed`.
    pub status: String,
    pub scheduled_time: Option<DateTime<Utc>>,
    pub call_mode: Option<String>,
    pub automation_id: Option<String>,
    pub contact_id: Option<String>,
    pub recipients: Vec<RecipientView>,
    pub reference_date: Option<DateTime<Utc>>,
    /// `null` when there is none (production stores `""`).
    pub error_message: Option<String>,
    pub notes: Option<String>,
    pub retry_count: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Only in the answers of `POST /api/calls` and `POST
    /// /api/scheduled-calls`: `true` when the number was already called
    /// as often as the business's frequency caps allow (at the call's
    /// `scheduledTime`, from the calls placed so far). A manual call is
    /// placed anyway, and counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_cap_passed: Option<bool>,
}

impl From<&ScheduledCall> for ScheduledCallView {
    fn from(call: &ScheduledCall) -> Self {
        let recipients: Vec<RecipientView> = call
            .recipients
            .iter()
            .map(|recipient| RecipientView {
                name: recipient.get_str("name").ok().map(str::to_string),
                phone_number: recipient.get_str("phoneNumber").ok().map(|number| {
                    phone::to_e164(number, None).unwrap_or_else(|_| number.to_string())
                }),
            })
            .collect();
        let contact_id = call.contact_id.or_else(|| {
            call.recipients
                .iter()
                .find_map(|recipient| recipient.get_object_id("contactId").ok())
        });
        Self {
            id: call.id.to_hex(),
            status: call.status.clone(),
            scheduled_time: call.scheduled_time.map(|at| at.to_chrono()),
            call_mode: call.call_mode.clone(),
            automation_id: call.automation_id.map(|id| id.to_hex()),
            contact_id: contact_id.map(|id| id.to_hex()),
            recipients,
            reference_date: call.reference_date.map(|at| at.to_chrono()),
            error_message: call
                .error_message
                .as_deref()
                .map(str::trim)
                .filter(|message| !message.is_empty())
                .map(str::to_string),
            notes: call.notes.clone(),
            retry_count: call.retry_count.map(|n| n.as_i64()),
            created_at: call.created_at.map(|at| at.to_chrono()),
            updated_at: call.updated_at.map(|at| at.to_chrono()),
            frequency_cap_passed: None,
        }
    }
}

impl From<ScheduledCall> for ScheduledCallView {
    fn from(call: ScheduledCall) -> Self {
        Self::from(&call)
    }
}
