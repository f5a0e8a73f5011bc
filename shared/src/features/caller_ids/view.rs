//! What the API shows of caller IDs.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::entry::Entry;

/// One caller ID as the frontend sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallerIdView {
    /// E.164.
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub verified: bool,
    /// `verified`, `pending` (waiting for the validation call) or `failed`
    /// (the last validation call did not succeed).
    pub status: String,
    /// Whether it is the user's `preferredCallerID`.
    pub preferred: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// `GET /api/caller-ids`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallerIdList {
    pub caller_ids: Vec<CallerIdView>,
    /// The caller ID calls leave from; `null` when none is picked.
    #[serde(rename = "preferredCallerID")]
    pub preferred_caller_id: Option<String>,
}

/// The validation started.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationStarted {
    pub phone_number: String,
    pub friendly_name: Option<String>,
    /// The digits the user types when Twilio calls.
    pub validation_code: String,
    pub status: String,
    pub verified: bool,
}

/// `entry` as the API shows it; `preferred` is the user's preferred caller
/// ID in E.164.
pub fn view(entry: &Entry, preferred: Option<&str>) -> CallerIdView {
    CallerIdView {
        phone_number: entry.phone_number.clone(),
        friendly_name: entry.friendly_name.clone(),
        verified: entry.verified,
        status: entry.status.to_string(),
        preferred: preferred.is_some_and(|p| p == entry.phone_number),
        created_at: entry.created_at.map(|d| d.to_chrono()),
    }
}
