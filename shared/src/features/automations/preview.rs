//! `GET /api/automations/{id}/preview`: the calls an automation will place
//! in the coming days, computed by [`plan::occurrence`], the function the
//! evaluator records calls with, so the preview and the calls agree: the
//! owner's quiet hours, the federal floor and the recipient's state's
//! hours ([`crate::schedule::calling_hours`]), then the do-not-call
//! registry ([`do_not_call::registered_among`], as the evaluator) and the
//! frequency caps ([`frequency::automated_verdict`], as the dialer).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::repo::{self, active_contacts};
use crate::error::{Error, Result};
use crate::features::dialer::frequency::{self, Verdict};
use crate::features::do_not_call;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Automation, Contact, TimingError, User};
use crate::schedule::frequency_caps::FrequencyCaps;
use crate::schedule::plan::{self, Occurrence};
use crate::schedule::QuietHours;

/// `restrictions` entry: the recipient's state's hours moved the call.
pub const RESTRICTED_BY_STATE: &str = "state_hours";
/// `restrictions` entry: the frequency caps move the call.
pub const RESTRICTED_BY_CAPS: &str = "frequency_cap";

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
    /// When the call will be placed (quiet hours, the federal floor, the
    /// recipient's state's hours and the frequency caps applied).
    pub call_at: DateTime<Utc>,
    /// `callAt` in the recipient's zone, RFC 3339 with offset.
    pub local_time: String,
    /// The recipient's zone.
    pub timezone: String,
    /// The contact date counted from, `YYYY-MM-DD`.
    pub reference_date: Option<String>,
    /// The recipient's US state (two-letter code) whose calling-hours
    /// rules apply, from their address, zone or area code; `null` when
    /// unknown (the federal floor alone applies).
    pub state: Option<String>,
    /// What moved the call past `dueAt` beyond the owner's quiet hours:
    /// `state_hours` (the recipient's state's rules) and/or
    /// `frequency_cap` (the number's calling limits).
    pub restrictions: Vec<String>,
}

/// A contact that will not be called, and why.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedContact {
    pub contact_id: String,
    /// `no_phone_number`, `no_date`, `inactive`, `not_found`,
    /// `do_not_call` (the number is on the do-not-call registry) or
    /// `frequency_cap` (the calling limits would push the call past the
    /// allowed lateness).
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

/// The calls of the user's automation `id` due in `[now, now + days]`;
/// `max_lateness` is `MAX_CALL_LATENESS_MINUTES`, past which the dialer
/// skips a call the caps hold back.
pub async fn preview(
    db: &Db,
    user_id: ObjectId,
    id: ObjectId,
    now: DateTime<Utc>,
    days: i64,
    max_lateness: Duration,
) -> Result<Preview> {
    let automation = repo::find(db, user_id, id).await?;
    let timing = automation.timing().map_err(unusable)?;
    let owner: Option<User> = store::find_by_id(db, user_id).await?;
    let preferences = owner.as_ref().and_then(|u| u.preferences.as_ref());
    let quiet = QuietHours::from_preferences(preferences);
    let to = now + Duration::days(days);

    let callable = active_contacts(db, &automation).await?;
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for contact in &callable {
        match plan::occurrence(&automation, &timing, contact, quiet) {
            Some(occurrence) if occurrence.call_at < now || occurrence.call_at > to => {}
            Some(occurrence) => planned.push((contact, occurrence)),
            None => skipped.push(SkippedContact::uncallable(contact)),
        }
    }
    let planned = without_do_not_call(db, user_id, planned, &mut skipped).await?;
    let mut planned: Vec<(UpcomingCall, Occurrence)> = planned
        .into_iter()
        .map(|(contact, occurrence)| {
            let call = upcoming(contact, &occurrence, quiet, timing.timezone);
            (call, occurrence)
        })
        .collect();
    planned.sort_by(|(a, _), (b, _)| {
        a.call_at
            .cmp(&b.call_at)
            .then_with(|| a.contact_name.cmp(&b.contact_name))
    });
    let caps = FrequencyCaps::from_preferences(preferences);
    let limits = Limits {
        caps: &caps,
        quiet,
        max_lateness,
    };
    let (mut calls, over) = apply_caps(db, owner.as_ref(), limits, planned).await?;
    skipped.extend(over);
    calls.retain(|call| call.call_at <= to);
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

/// `planned` without the calls to numbers on the owner's do-not-call
/// registry, which go to `skipped`, as the evaluator leaves them out.
async fn without_do_not_call<'c>(
    db: &Db,
    user_id: ObjectId,
    planned: Vec<(&'c Contact, Occurrence)>,
    skipped: &mut Vec<SkippedContact>,
) -> Result<Vec<(&'c Contact, Occurrence)>> {
    let numbers: Vec<String> = planned.iter().map(|(_, o)| o.phone_e164.clone()).collect();
    let registered = do_not_call::registered_among(db, user_id, &numbers).await?;
    let (blocked, planned): (Vec<_>, Vec<_>) = planned
        .into_iter()
        .partition(|(_, occurrence)| registered.contains(&occurrence.phone_e164));
    skipped.extend(
        blocked
            .into_iter()
            .map(|(contact, _)| SkippedContact::because(contact, "do_not_call")),
    );
    Ok(planned)
}

/// What the dialer holds a call against.
#[derive(Clone, Copy)]
struct Limits<'a> {
    caps: &'a FrequencyCaps,
    quiet: QuietHours,
    max_lateness: Duration,
}

/// `planned` (sorted by `callAt`) as the dialer's frequency caps will
/// treat them, counting the number's recent calls and the earlier calls
/// of the preview: allowed, moved to when the caps and then the calling
/// hours allow, or skipped.
async fn apply_caps(
    db: &Db,
    owner: Option<&User>,
    limits: Limits<'_>,
    planned: Vec<(UpcomingCall, Occurrence)>,
) -> Result<(Vec<UpcomingCall>, Vec<SkippedContact>)> {
    let Some(owner) = owner.filter(|_| limits.caps.remembered() > 0) else {
        return Ok((
            planned.into_iter().map(|(call, _)| call).collect(),
            Vec::new(),
        ));
    };
    let mut history: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    for (mut call, occurrence) in planned {
        if !history.contains_key(&call.phone_number) {
            let times = frequency::recent_times(db, owner, &call.phone_number).await?;
            history.insert(call.phone_number.clone(), times);
        }
        let times = history.entry(call.phone_number.clone()).or_default();
        let mut placed = Some(call.call_at);
        // Deferred by the caps, the dialer asks the calling hours again
        // at the new time, then the caps: a few rounds settle it.
        for _ in 0..4 {
            let Some(at) = placed else { break };
            match frequency::automated_verdict(limits.caps, times, at, at, limits.max_lateness) {
                Verdict::Allowed => break,
                Verdict::Skipped => placed = None,
                Verdict::Deferred(later) => {
                    push_unique(&mut call.restrictions, RESTRICTED_BY_CAPS);
                    placed = Some(occurrence.allowed_from(later, limits.quiet));
                }
            }
        }
        match placed {
            Some(at) => {
                times.push(at);
                if at != call.call_at {
                    let zone: Tz = call.timezone.parse().unwrap_or(chrono_tz::UTC);
                    call.call_at = at;
                    call.local_time = at.with_timezone(&zone).to_rfc3339();
                }
                kept.push(call);
            }
            None => skipped.push(SkippedContact {
                contact_id: call.contact_id,
                reason: RESTRICTED_BY_CAPS.to_string(),
            }),
        }
    }
    Ok((kept, skipped))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|existing| existing == item) {
        list.push(item.to_string());
    }
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
fn upcoming(
    contact: &Contact,
    occurrence: &Occurrence,
    quiet: QuietHours,
    zone: Tz,
) -> UpcomingCall {
    let zone = occurrence.zones.first().copied().unwrap_or(zone);
    let mut restrictions = Vec::new();
    if occurrence.deferred_by_state(quiet) {
        restrictions.push(RESTRICTED_BY_STATE.to_string());
    }
    UpcomingCall {
        contact_id: contact.id.to_hex(),
        contact_name: contact.name.clone(),
        phone_number: occurrence.phone_e164.clone(),
        due_at: occurrence.due_at,
        call_at: occurrence.call_at,
        local_time: occurrence.call_at.with_timezone(&zone).to_rfc3339(),
        timezone: zone.name().to_string(),
        reference_date: occurrence
            .reference_date
            .map(|day| day.format("%Y-%m-%d").to_string()),
        state: occurrence.state.map(str::to_string),
        restrictions,
    }
}

impl SkippedContact {
    fn because(contact: &Contact, reason: &str) -> Self {
        Self {
            contact_id: contact.id.to_hex(),
            reason: reason.to_string(),
        }
    }

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

/// The automation's other contacts: gone, another user's, on the
/// do-not-call registry, or inactive.
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
    let existing = repo::owned_contacts_among(db, user_id, &others).await?;
    let numbers: Vec<String> = existing
        .iter()
        .filter_map(|contact| contact.phone_e164(None))
        .collect();
    let registered = do_not_call::registered_among(db, user_id, &numbers).await?;
    let skipped = others
        .into_iter()
        .map(|id| {
            let reason = match existing.iter().find(|contact| contact.id == id) {
                None => "not_found",
                Some(contact)
                    if contact
                        .phone_e164(None)
                        .is_some_and(|number| registered.contains(&number)) =>
                {
                    "do_not_call"
                }
                Some(_) => "inactive",
            };
            SkippedContact {
                contact_id: id.to_hex(),
                reason: reason.to_string(),
            }
        })
        .collect();
    Ok(skipped)
}
