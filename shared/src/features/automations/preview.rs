//! `GET /api/automations/{id}/preview`: the calls an automation will place
//! in the coming days, computed by [`plan::occurrence`], the function the
//! evaluator records calls with, so the preview and the calls agree.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::{self, active_contacts};
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Automation, Contact, TimingError, User};
use crate::schedule::plan::{self, Occurrence};
use crate::schedule::QuietHours;

pub const DEFAULT_DAYS: i64 = 30;
pub const MAX_DAYS: i64 = 366;

/// `?days=30`.
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// How far ahead, 1 to 366 days (default 30).
    pub days: Option<i64>,
}

/// One upcoming call.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpcomingCall {
    pub contact_id: String,
    pub contact_name: String,
    /// E.164, as it will be dialed.
    pub phone_number: String,
    /// When the automation means to call (its zone, before quiet hours).
    pub due_at: DateTime<Utc>,
    /// When the call will be placed (quiet hours applied).
    pub call_at: DateTime<Utc>,
    /// `callAt` in the recipient's zone, RFC 3339 with offset.
    pub local_time: String,
    /// The recipient's zone.
    pub timezone: String,
    /// The contact date counted from, `YYYY-MM-DD`.
    pub reference_date: Option<String>,
}

/// A contact that will not be called, and why.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedContact {
    pub contact_id: String,
    /// `no_phone_number`, `no_date`, `inactive` or `not_found`.
    pub reason: String,
}

/// The preview of `[from, to]`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Sorted by `callAt`.
    pub calls: Vec<UpcomingCall>,
    pub skipped: Vec<SkippedContact>,
}

/// The days asked for, 1 to 366.
pub fn days(query: PreviewQuery) -> Result<i64> {
    let days = query.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(Error::validation(
            "days",
            format!("days must be between 1 and {MAX_DAYS}"),
        ));
    }
    Ok(days)
}

/// The calls of the user's automation `id` due in `[now, now + days]`.
pub async fn preview(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Preview> {
    let automation = repo::find(db, user_id, id).await?;
    let timing = automation.timing().map_err(unusable)?;
    let owner: Option<User> = store::find_by_id(db, user_id).await?;
    let quiet = QuietHours::from_preferences(owner.as_ref().and_then(|u| u.preferences.as_ref()));
    let to = now + Duration::days(days);

    let callable = active_contacts(db, &automation).await?;
    let mut calls = Vec::new();
    let mut skipped = Vec::new();
    for contact in &callable {
        match plan::occurrence(&automation, &timing, contact, quiet) {
            Some(occurrence) if occurrence.call_at < now || occurrence.call_at > to => {}
            Some(occurrence) => calls.push(upcoming(contact, occurrence, timing.timezone)),
            None => skipped.push(SkippedContact::uncallable(contact)),
        }
    }
    calls.sort_by(|a, b| {
        a.call_at
            .cmp(&b.call_at)
            .then_with(|| a.contact_name.cmp(&b.contact_name))
    });
    skipped.extend(not_callable(db, user_id, &automation, &callable).await?);
    Ok(Preview {
        from: now,
        to,
        calls,
        skipped,
    })
}

/// A stored timing the plan cannot read: 422 naming its field.
fn unusable(error: TimingError) -> Error {
    let field = match &error {
        TimingError::Malformed { field, .. } | TimingError::Missing { field } => *field,
    };
    Error::validation(
        field,
        format!("the automation's timing is unusable: {error}"),
    )
}

/// The call `occurrence` places to `contact`, shown in the recipient's
/// zone (else the automation's, `zone`).
fn upcoming(contact: &Contact, occurrence: Occurrence, zone: Tz) -> UpcomingCall {
    let zone = occurrence.zones.first().copied().unwrap_or(zone);
    UpcomingCall {
        contact_id: contact.id.to_hex(),
        contact_name: contact.name.clone(),
        phone_number: occurrence.phone_e164,
        due_at: occurrence.due_at,
        call_at: occurrence.call_at,
        local_time: occurrence.call_at.with_timezone(&zone).to_rfc3339(),
        timezone: zone.name().to_string(),
        reference_date: occurrence
            .reference_date
            .map(|day| day.format("%Y-%m-%d").to_string()),
    }
}

impl SkippedContact {
    /// A callable contact the plan places no call to: no number to dial,
    /// or no date to count from.
    fn uncallable(contact: &Contact) -> Self {
        let reason = if contact.phone_e164(None).is_none() {
            "no_phone_number"
        } else {
            "no_date"
        };
        Self {
            contact_id: contact.id.to_hex(),
            reason: reason.to_string(),
        }
    }
}

/// The automation's other contacts: gone, another user's, or inactive.
async fn not_callable(
    db: &Db,
    user_id: ObjectId,
    automation: &Automation,
    callable: &[Contact],
) -> Result<Vec<SkippedContact>> {
    let others: Vec<ObjectId> = automation
        .contact_ids()
        .into_iter()
        .filter(|id| !callable.iter().any(|contact| contact.id == *id))
        .collect();
    let existing = repo::owned_contacts(db, user_id, &others).await?;
    let skipped = others
        .into_iter()
        .map(|id| SkippedContact {
            contact_id: id.to_hex(),
            reason: if existing.contains(&id) {
                "inactive"
            } else {
                "not_found"
            }
            .to_string(),
        })
        .collect();
    Ok(skipped)
}
