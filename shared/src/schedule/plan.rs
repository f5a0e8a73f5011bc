//! Which calls of one automation are due in a window: a pure function of
//! the automation, its contacts, the owner's quiet hours, the federal and
//! state calling hours ([`schedule::calling_hours`]) and the clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::{Automation, Contact, NewScheduledCall, ScheduledCallStatus, Timing};
use crate::schedule::{self, CallingHours, QuietHours};

/// The calls due in `(since, now]`, and the next call time after `now`.
#[derive(Debug, Default)]
pub struct Plan {
    pub due: Vec<NewScheduledCall>,
    pub next_call: Option<DateTime<Utc>>,
    /// Contacts skipped for want of a callable number or a date.
    pub skipped: usize,
}

/// What the plan needs beyond the automation.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// The last instant an earlier pass covered.
    pub since: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// Older than this, a due call is recorded as missed, not placed.
    pub max_lateness: Duration,
    /// Mark the calls placeable now to be sent at once
    /// ([`NewScheduledCall::send_now`]).
    pub send_now: bool,
}

/// One upcoming or due call of a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct Occurrence {
    /// The nominal instant (automation's zone, before quiet hours).
    pub due_at: DateTime<Utc>,
    /// When it may be placed (the owner's quiet hours, the federal floor
    /// and the recipient's state's hours applied).
    pub call_at: DateTime<Utc>,
    pub reference_date: Option<NaiveDate>,
    pub phone_e164: String,
    /// Every zone the recipient may be in; quiet hours hold in all of them.
    pub zones: Vec<Tz>,
    /// The recipient's US state ([`schedule::recipient_state`]), if known.
    pub state: Option<&'static str>,
}

impl Occurrence {
    /// The windows this recipient's calls must fall in.
    pub fn calling_hours(&self, quiet: QuietHours) -> CallingHours {
        CallingHours::new(quiet, self.state)
    }

    /// `at`, or the next instant the owner's quiet hours, the federal
    /// floor and the recipient's state allow in every zone of the
    /// recipient.
    pub fn allowed_from(&self, at: DateTime<Utc>, quiet: QuietHours) -> DateTime<Utc> {
        self.calling_hours(quiet)
            .next_allowed_in_all(at, &self.zones)
            .unwrap_or(at)
    }

    /// True when the state's rules, not the owner's window or the federal
    /// floor, moved the call from `due_at`.
    pub fn deferred_by_state(&self, quiet: QuietHours) -> bool {
        let without = self
            .calling_hours(quiet)
            .without_state(self.due_at, &self.zones)
            .unwrap_or(self.due_at);
        self.call_at != without
    }
}

/// When `contact` is called by `automation`, if ever.
pub fn occurrence(
    automation: &Automation,
    timing: &Timing,
    contact: &Contact,
    quiet: QuietHours,
) -> Option<Occurrence> {
    let phone_e164 = contact.phone_e164(None)?;
    let joined = automation.joined_on(contact.id, timing.timezone);
    let reference_date = schedule::reference_date(
        contact,
        automation.reference_field.as_deref(),
        schedule::fallback_date(timing),
        joined,
        timing.timezone,
    );
    let due_at = schedule::due_instant(timing, reference_date)?;
    let zones = schedule::recipient_zones(
        contact.timezone.as_deref(),
        Some(&phone_e164),
        timing.timezone,
    );
    let state = schedule::recipient_state(Some(contact), Some(&phone_e164));
    let mut occurrence = Occurrence {
        due_at,
        call_at: due_at,
        reference_date,
        phone_e164,
        zones,
        state,
    };
    occurrence.call_at = occurrence.allowed_from(due_at, quiet);
    Some(occurrence)
}

/// The due calls of `automation` among `contacts` in `window`.
pub fn due_calls(
    automation: &Automation,
    timing: &Timing,
    contacts: &[Contact],
    quiet: QuietHours,
    window: Window,
) -> Plan {
    let mut plan = Plan::default();
    for contact in contacts {
        let Some(occurrence) = occurrence(automation, timing, contact, quiet) else {
            plan.skipped += 1;
            continue;
        };
        if occurrence.call_at > window.now {
            plan.next_call = Some(
                plan.next_call
                    .map_or(occurrence.call_at, |next| next.min(occurrence.call_at)),
            );
            continue;
        }
        if occurrence.call_at <= window.since {
            continue;
        }
        let late = window.now - occurrence.call_at > window.max_lateness;
        // Caught up after an outage: if night has fallen meanwhile, wait
        // for the morning rather than ring now.
        let allowed_now = occurrence.allowed_from(window.now, quiet);
        let scheduled_time = if late || allowed_now == window.now {
            occurrence.call_at
        } else {
            allowed_now
        };
        plan.due.push(NewScheduledCall {
            user_id: automation.user_id,
            automation_id: Some(automation.id),
            contact: contact.clone(),
            phone_e164: occurrence.phone_e164,
            scheduled_time,
            due_at: occurrence.due_at,
            reference_date: occurrence.reference_date,
            call_mode: automation.call_mode(),
            status: if late {
                ScheduledCallStatus::Missed
            } else {
                ScheduledCallStatus::Pending
            },
            attempt: 0,
            notes: String::new(),
            error_message: if late {
                "The call was not placed in time: its scheduled time passed while the service was unavailable.".to_string()
            } else {
                String::new()
            },
            send_now: window.send_now && !late && scheduled_time <= window.now,
        });
    }
    plan
}
