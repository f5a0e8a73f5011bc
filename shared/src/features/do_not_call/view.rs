//! A do-not-call entry as the API answers it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::DoNotCall;

/// One registered number, active or removed.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoNotCallView {
    pub id: String,
    /// E.164.
    pub phone_number: String,
    /// `agent` (the recipient asked on a call), `manual` or `import`.
    pub source: String,
    pub added_at: DateTime<Utc>,
    /// The call on which the recipient asked, for `agent` entries.
    pub call_id: Option<String>,
    pub contact_id: Option<String>,
    pub note: Option<String>,
    /// `false` once removed; a removed entry is kept.
    pub active: bool,
    pub removed_at: Option<DateTime<Utc>>,
    pub removal_reason: Option<String>,
}

impl From<&DoNotCall> for DoNotCallView {
    fn from(entry: &DoNotCall) -> Self {
        Self {
            id: entry.id.to_hex(),
            phone_number: entry.phone_number.clone(),
            source: entry.source.clone(),
            added_at: entry.added_at.to_chrono(),
            call_id: entry.call_id.map(|id| id.to_hex()),
            contact_id: entry.contact_id.map(|id| id.to_hex()),
            note: entry.note.clone(),
            active: entry.active_key.is_some() && entry.removed_at.is_none(),
            removed_at: entry.removed_at.map(|d| d.to_chrono()),
            removal_reason: entry.removal_reason.clone(),
        }
    }
}

/// `POST /api/do-not-call`'s answer: the entry, and whether this request
/// added it (`false`: the number was already registered).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    pub created: bool,
    pub entry: DoNotCallView,
}
