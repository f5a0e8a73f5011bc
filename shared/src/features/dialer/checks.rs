//! The checks before dialing: who calls, whom, and whether now.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mongodb::bson::{oid::ObjectId, Bson};

use super::allowance::{self, Allowance, Denied};
use super::repo::lookups;
use crate::error::{Error, Result};
use crate::features::do_not_call;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::phone;
use crate::model::{Contact, Record, ScheduledCall, User};
use crate::schedule::{self, CallingHours, QuietHours};

/// The zone of last resort for quiet hours.
const DEFAULT_ZONE: Tz = chrono_tz::America::New_York;

/// Everything needed to place the call.
#[derive(Clone, Debug, PartialEq)]
pub struct Ready {
    /// The verified caller ID, E.164.
    pub from: String,
    /// The recipient, E.164.
    pub to: String,
    pub user: User,
    /// `None` for a call to a number not (or no longer) among the contacts.
    pub contact: Option<Contact>,
    /// What pays for the call, spent right before Twilio is asked.
    pub allowance: Allowance,
}

/// Why the call is not placed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user has no verified caller ID picked.
    NoCallerId,
    /// No active subscription, free minutes or free calls.
    NoMinutes,
    /// The free plan's calls for this period are used up.
    PlanLimit,
    /// The contact was deactivated or opted out.
    ContactUnavailable,
    /// Neither the contact nor the call holds a dialable number.
    NoNumber,
    /// The number is on the business's do-not-call registry.
    DoNotCall,
    /// Outside the recipient's calling window (the owner's quiet hours,
    /// the federal floor or the recipient's state's hours): not a
    /// failure, the dialer defers the call to `retry_at`.
    TooEarlyOrLate { retry_at: DateTime<Utc> },
}

impl Refusal {
    /// The owner-facing reason to record as the call's `errorMessage`;
    /// `None` for a deferral.
    pub fn message(&self) -> Option<&'static str> {
        match self {
            Self::NoCallerId => Some(
                "Caller ID is required. Please add and verify a caller ID before making calls.",
            ),
            Self::PlanLimit => Some(
                "Your free plan's calls for this period are used up. Upgrade your plan to keep calling.",
            ),
            Self::NoMinutes => {
                Some("No minutes left. Please subscribe or add minutes before making calls.")
            }
            Self::ContactUnavailable => Some("This contact is inactive or asked not to be called."),
            Self::NoNumber => Some("This call has no valid phone number to dial."),
            Self::DoNotCall => Some(do_not_call::UNAVAILABLE_MESSAGE),
            Self::TooEarlyOrLate { .. } => None,
        }
    }
}

/// Checks `call` before dialing at `now`: the outer `Result` is a database
/// or data fault, the inner one the verdict.
///
/// Long: the checks in the order the owner should hear about them (caller
/// ID, money, the recipient's number and the do-not-call registry, then
/// the hour), each an early return; split, the order would be harder to
/// read.
pub async fn preflight(
    db: &Db,
    call: &ScheduledCall,
    now: DateTime<Utc>,
) -> Result<Result<Ready, Refusal>> {
    let user = store::find_by_id::<User>(db, call.user_id)
        .await?
        .ok_or(Error::NotFound {
            what: User::COLLECTION,
        })?;

    let Some(from) = verified_caller_id(db, &user).await? else {
        return Ok(Err(Refusal::NoCallerId));
    };

    let allowance = match allowance::check(db, &user, now).await? {
        Ok(allowance) => allowance,
        Err(Denied::PlanLimit) => return Ok(Err(Refusal::PlanLimit)),
        Err(Denied::NoMinutes) => return Ok(Err(Refusal::NoMinutes)),
    };

    let recipient = call.recipients.first();
    let contact = match contact_id(call) {
        Some(id) => lookups::contact_with_opt_out(db, call.user_id, id).await?,
        None => None,
    };
    let unavailable = contact
        .as_ref()
        .is_some_and(|(contact, opted_out)| !contact.is_active() || *opted_out);
    let contact = contact.map(|(contact, _)| contact);

    let region = user.phone_region();
    let to = contact
        .as_ref()
        .and_then(|contact| contact.phone_e164(region))
        .or_else(|| {
            recipient
                .and_then(|r| r.get_str("phoneNumber").ok())
                .and_then(|raw| phone::to_e164(raw, region).ok())
        });
    let Some(to) = to else {
        return Ok(Err(if unavailable {
            Refusal::ContactUnavailable
        } else {
            Refusal::NoNumber
        }));
    };
    // The registry first: its reason is the one the owner can act on.
    if do_not_call::is_registered(db, call.user_id, &to)
        .await?
        .is_some()
    {
        return Ok(Err(Refusal::DoNotCall));
    }
    if unavailable {
        return Ok(Err(Refusal::ContactUnavailable));
    }

    let fallback_zone = match call.automation_id {
        Some(id) => lookups::automation_zone(db, id).await?,
        None => None,
    }
    .or_else(|| user.time_zone())
    .unwrap_or(DEFAULT_ZONE);
    let zones = schedule::recipient_zones(
        contact.as_ref().and_then(|c| c.timezone.as_deref()),
        Some(&to),
        fallback_zone,
    );
    let quiet = QuietHours::from_preferences(user.preferences.as_ref());
    let state = schedule::recipient_state(contact.as_ref(), Some(&to));
    let allowed = CallingHours::new(quiet, state)
        .next_allowed_in_all(now, &zones)
        .unwrap_or(now);
    if allowed > now {
        return Ok(Err(Refusal::TooEarlyOrLate { retry_at: allowed }));
    }

    Ok(Ok(Ready {
        from,
        to,
        user,
        contact,
        allowance,
    }))
}

/// The user's preferred caller ID in E.164, if it is verified: in
/// `verifiedNumbers`, or in the older `twilioConfig.verifiedCallerIds`.
async fn verified_caller_id(db: &Db, user: &User) -> Result<Option<String>> {
    let Some(raw) = user.preferred_caller_id() else {
        return Ok(None);
    };
    let Ok(e164) = phone::to_e164(raw, user.phone_region()) else {
        return Ok(None);
    };
    let verified = crate::features::caller_ids::is_verified(db, user, &e164).await?;
    Ok(verified.then_some(e164))
}

/// The call's contact: `contactId`, else the first recipient's.
fn contact_id(call: &ScheduledCall) -> Option<ObjectId> {
    call.contact_id
        .or_else(|| match call.recipients.first()?.get("contactId")? {
            Bson::ObjectId(id) => Some(*id),
            Bson::String(hex) => hex.parse().ok(),
            _ => None,
        })
}
