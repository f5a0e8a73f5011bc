//! `POST /api/calls`: call a contact now. The call is recorded as a
//! manual scheduled call due now, exactly as `POST /api/scheduled-calls`
//! records one, and handed to the dial queue at once the way the sweep
//! hands over due calls. Without a queue (or when the queue refuses it)
//! it stays `pending` and the evaluator's next sweep sends it. A contact
//! (or number) with a manual call still open is a 409 naming it, unless
//! `allowConcurrent` (`scheduled_calls::open_calls`).

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::features::dialer::frequency;
use crate::features::scheduled_calls::service::{self as scheduled, record_manual, ManualCall};
use crate::features::scheduled_calls::sweep::send_claimed;
use crate::http::extract::object_id;
use crate::infra::db::Db;
use crate::infra::queue::{DialJob, DialQueue};
use crate::infra::store::{self, owned};
use crate::model::{phone, Automation, ScheduledCall, User};

/// Who to call now, and how: `contactId`, or `phoneNumber` with `name`.
/// Serialized, it is the request's `Idempotency-Key` fingerprint.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallNow {
    /// One of the user's contacts.
    pub contact_id: Option<String>,
    /// Any common spelling; dialed in E.164. Needs `name`.
    pub phone_number: Option<String>,
    pub name: Option<String>,
    /// One of the user's automations, whose message, AI instructions and
    /// callback rules the call uses.
    pub automation_id: Option<String>,
    /// `ai-only`, `recording` or `recording-ai`; default: the
    /// automation's mode, else `ai-only`.
    pub call_mode: Option<String>,
    /// What the AI should talk about on this call. Stored in the
    /// scheduled call's `notes`, where the old app kept a manual call's
    /// instructions; give this or `notes`, not two different texts.
    pub ai_instructions: Option<String>,
    pub notes: Option<String>,
    /// Call even if the contact (or number) already has a manual call
    /// pending, queued or in progress; without it that is a 409 naming
    /// the open call.
    #[serde(default)]
    pub allow_concurrent: bool,
}

fn non_blank(text: &Option<String>) -> Option<&str> {
    text.as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// Records the call due `now` and, when there is a `queue`, sends its dial
/// job at once. Answers the scheduled call as it then is: `queued` when
/// sent, else `pending`.
pub async fn place_now(
    db: &Db,
    queue: Option<&DialQueue>,
    user_id: ObjectId,
    input: CallNow,
    now: DateTime<Utc>,
) -> Result<ScheduledCall> {
    let notes = match (non_blank(&input.ai_instructions), non_blank(&input.notes)) {
        (Some(instructions), Some(notes)) if instructions != notes => {
            return Err(Error::validation(
                "aiInstructions",
                "give aiInstructions or notes, not both",
            ))
        }
        (Some(text), _) | (None, Some(text)) => Some(text.to_string()),
        (None, None) => None,
    };
    let automation = match non_blank(&input.automation_id) {
        Some(id) => {
            let id = object_id("automationId", id)?;
            let automation: Automation =
                owned::find(db, user_id, id, "automation")
                    .await
                    .map_err(|error| match error {
                        Error::NotFound { .. } => {
                            Error::validation("automationId", "no such automation")
                        }
                        other => other,
                    })?;
            Some((id, automation.call_mode()))
        }
        None => None,
    };
    let call = ManualCall {
        contact_id: input.contact_id,
        phone_number: input.phone_number,
        name: input.name,
        call_mode: input.call_mode,
        notes,
        automation,
        allow_concurrent: input.allow_concurrent,
    };
    let Some(queue) = queue else {
        return record_manual(db, user_id, call, now, None).await;
    };

    // Recorded already claimed for sending, as the sweep claims (`enqueuing`
    // with a token): no sweep sends it meanwhile, and a claim abandoned by
    // a crash is taken over by the sweep after its stale-claim delay.
    let token = ObjectId::new();
    let recorded = record_manual(db, user_id, call, now, Some(token)).await?;
    let job = DialJob {
        scheduled_call_id: recorded.id,
        user_id,
        scheduled_time: recorded.scheduled_time.map_or(now, |at| at.to_chrono()),
    };
    match send_claimed(db, queue, token, &[job]).await {
        Ok(report) if report.failed > 0 => {
            tracing::warn!(scheduled_call = %recorded.id, "dial job not sent; left pending for the sweep");
        }
        Ok(_) => {}
        // The call is recorded (and perhaps sent): answering an error would
        // invite a second call. The sweep takes the claim over if needed.
        Err(error) => {
            tracing::error!(scheduled_call = %recorded.id, %error, "could not record the dial job's outcome");
        }
    }
    match scheduled::get(db, user_id, recorded.id).await {
        Ok(call) => Ok(call),
        Err(error) => {
            tracing::error!(scheduled_call = %recorded.id, %error, "could not read the call back");
            Ok(recorded)
        }
    }
}

/// Whether `call` (a manual call just recorded) passes its owner's
/// frequency caps at `now`: it is placed anyway, and the answer says so.
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
    frequency::cap_passed(db, &user, &to, now).await
}
