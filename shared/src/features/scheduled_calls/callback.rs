//! What happens when a call ends unanswered: the next attempt, recorded
//! like any due call. The dialer calls [`schedule_callback`] with the
//! scheduled call that ended and how it ended.

use chrono::{DateTime, Utc};

use super::record::record_all;
use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store::{self, owned};
use crate::model::{
    Automation, CallbackPolicy, Contact, NewScheduledCall, ScheduledCall, ScheduledCallStatus,
    Timing, User,
};
use crate::schedule::plan;
use crate::schedule::{self, CallOutcome, QuietHours, DEFAULT_MAX_ATTEMPTS};

/// The callback recorded, if one is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub scheduled_time: DateTime<Utc>,
    pub attempt: u32,
}

/// Records the next attempt of `ended` when its automation wants
/// callbacks and `outcome` was unanswered; `None` when no attempt is due
/// (answered, callbacks off, attempts or days used up). Recording twice
/// (a status callback delivered twice) leaves one attempt.
pub async fn schedule_callback(
    db: &Db,
    ended: &ScheduledCall,
    outcome: CallOutcome,
    ended_at: DateTime<Utc>,
) -> Result<Option<Callback>> {
    let Some(source) = Source::load(db, ended).await? else {
        return Ok(None);
    };
    let Some(next) = source.next_attempt(ended, outcome, ended_at) else {
        return Ok(None);
    };
    let callback = Callback {
        scheduled_time: next.scheduled_time,
        attempt: next.attempt,
    };
    record_all(db, &[next]).await?;
    Ok(Some(callback))
}

/// What a callback is planned from: the automation that wants callbacks,
/// its timing, the contact, still active, and the owner's quiet hours.
struct Source {
    automation: Automation,
    timing: Timing,
    policy: CallbackPolicy,
    contact: Contact,
    quiet: QuietHours,
}

impl Source {
    /// `None` when the call has no automation or contact (any more), the
    /// automation's timing is unreadable or its callbacks are off, or the
    /// contact was deactivated.
    async fn load(db: &Db, ended: &ScheduledCall) -> Result<Option<Self>> {
        let (Some(automation_id), Some(contact_id)) = (ended.automation_id, ended.contact_id)
        else {
            return Ok(None);
        };
        let scoped = |id| owned::scoped(ended.user_id, id);
        let Some(automation) = store::find_one::<Automation>(db, scoped(automation_id)).await?
        else {
            return Ok(None);
        };
        let Ok(timing) = automation.timing() else {
            return Ok(None);
        };
        let Some(policy) = timing.callback.clone() else {
            return Ok(None);
        };
        let Some(contact) = store::find_one::<Contact>(db, scoped(contact_id)).await? else {
            return Ok(None);
        };
        if !contact.is_active() {
            return Ok(None);
        }
        let owner: Option<User> = store::find_by_id(db, ended.user_id).await?;
        let preferences = owner.as_ref().and_then(|u| u.preferences.as_ref());
        Ok(Some(Self {
            automation,
            timing,
            policy,
            contact,
            quiet: QuietHours::from_preferences(preferences),
        }))
    }

    /// The attempt after `ended`, `pending`, if the policy wants one.
    fn next_attempt(
        self,
        ended: &ScheduledCall,
        outcome: CallOutcome,
        ended_at: DateTime<Utc>,
    ) -> Option<NewScheduledCall> {
        let Self {
            automation,
            timing,
            policy,
            contact,
            quiet,
        } = self;
        let occurrence = plan::occurrence(&automation, &timing, &contact, quiet)?;
        let attempt = ended
            .retry_count
            .map_or(0, |n| u32::try_from(n.as_i64()).unwrap_or(0));
        // The occurrence this call belongs to, as recorded: the contact's
        // date may have changed since.
        let due_at = ended
            .dedupe_key
            .as_deref()
            .and_then(due_of_key)
            .unwrap_or(occurrence.due_at);
        let zone = occurrence.zones.first().copied().unwrap_or(timing.timezone);
        let next = schedule::next_attempt(
            &policy,
            outcome,
            ended_at,
            due_at,
            attempt + 1,
            max_attempts(&automation),
            zone,
            quiet,
        )?;
        Some(NewScheduledCall {
            user_id: ended.user_id,
            automation_id: Some(automation.id),
            contact,
            scheduled_time: occurrence.allowed_from(next, quiet),
            phone_e164: occurrence.phone_e164,
            due_at,
            reference_date: occurrence.reference_date,
            call_mode: automation.call_mode(),
            status: ScheduledCallStatus::Pending,
            attempt: attempt + 1,
            notes: ended.notes.clone().unwrap_or_default(),
            error_message: String::new(),
            send_now: false,
        })
    }
}

/// The automation's `retryCount`, or the default when unset.
fn max_attempts(automation: &Automation) -> u32 {
    automation
        .retry_count
        .and_then(|n| u32::try_from(n.as_i64()).ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
}

/// The nominal due instant inside a `dedupeKey` (`automation:contact:unix:attempt`).
fn due_of_key(key: &str) -> Option<DateTime<Utc>> {
    let seconds = key.rsplit(':').nth(1)?.parse().ok()?;
    DateTime::from_timestamp(seconds, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_instant_is_read_back_from_the_key() {
        let key = "6a0000000000000000000001:6a0000000000000000000002:1795993200:0";
        assert_eq!(due_of_key(key), DateTime::from_timestamp(1_795_993_200, 0));
        assert_eq!(due_of_key("garbage"), None);
    }
}
