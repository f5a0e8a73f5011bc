//! Twilio's call status callbacks onto the call and its scheduled call.
//!
//! Each callback is applied with conditional updates ([`super::repo`]), so
//! callbacks that arrive repeated, out of order or at once leave one
//! answer: a status only moves forward ([`CallStatus::replaceable`]), the
//! first final status and the first `answeredBy` stay, the scheduled call
//! ends once with the call's outcome, even when the answering machine is
//! reported after `completed` ([`super::scheduled_end`]), "Call Completed"
//! is published by the one callback whose update made the call final, and
//! the next attempt is recorded once (one per contact, due time and
//! attempt number, by the `dedupeKey` index).

use chrono::{DateTime, Utc};
use mongodb::bson::{oid::ObjectId, Document};

use super::repo::{self, Ending};
use super::scheduled_end::end_scheduled_call;
use crate::error::{Error, Result};
use crate::features::scheduled_calls::Callback;
use crate::infra::db::Db;
use crate::infra::events::{CallEvent, Events, CALL_COMPLETED};
use crate::model::CallStatus;
use crate::schedule::CallOutcome;

/// The fields of a status callback we use (Twilio sends more).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusCallback {
    pub call_sid: Option<String>,
    /// Normalized `CallStatus`; `None` for an answering-machine detection
    /// callback (`AsyncAmdStatusCallback`), which only says `AnsweredBy`.
    pub call_status: Option<CallStatus>,
    /// `human`, `machine_start`, `machine_end_beep`, …, `fax`, `unknown`.
    pub answered_by: Option<String>,
    /// `CallDuration`, seconds.
    pub duration_secs: Option<i64>,
    /// `Timestamp` (RFC 2822), when Twilio sent it.
    pub timestamp: Option<DateTime<Utc>>,
}

impl StatusCallback {
    /// From the form fields; refuses a callback that says nothing we know.
    pub fn from_form(params: &[(String, String)]) -> Result<Self> {
        let get =
            |name: &str| crate::integrations::twilio::form::field(params, name).map(str::to_string);
        let call_status = match get("CallStatus") {
            None => None,
            Some(raw) => Some(CallStatus::normalize(&raw).ok_or_else(|| {
                Error::bad_request(Some("CallStatus"), format!("unknown CallStatus {raw:?}"))
            })?),
        };
        let answered_by = get("AnsweredBy");
        if call_status.is_none() && answered_by.is_none() {
            return Err(Error::bad_request(
                Some("CallStatus"),
                "a status callback needs CallStatus or AnsweredBy",
            ));
        }
        let duration_secs = match get("CallDuration") {
            None => None,
            Some(raw) => Some(raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                Error::bad_request(
                    Some("CallDuration"),
                    format!("CallDuration {raw:?} is not a number of seconds"),
                )
            })?),
        };
        let timestamp = get("Timestamp")
            .and_then(|raw| DateTime::parse_from_rfc2822(&raw).ok())
            .map(|t| t.with_timezone(&Utc));
        Ok(Self {
            call_sid: get("CallSid"),
            call_status,
            answered_by,
            duration_secs,
            timestamp,
        })
    }
}

/// What a callback did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusApplied {
    /// The call's status afterwards.
    pub status: String,
    /// This callback made the call final (and published "Call Completed").
    pub finalized: bool,
    /// The scheduled call's status afterwards, when there is one.
    pub scheduled_status: Option<String>,
    /// The next attempt recorded (or already recorded), if any.
    pub callback: Option<Callback>,
}

/// Applies `callback` to the call `call_id`; `NotFound` when there is no
/// such call.
pub async fn apply_status(
    db: &Db,
    events: &Events,
    call_id: ObjectId,
    callback: &StatusCallback,
    now: DateTime<Utc>,
) -> Result<StatusApplied> {
    let stored = find_call(db, call_id).await?;
    if let Some(sid) = &callback.call_sid {
        record_sid(db, call_id, &stored, sid).await?;
    }
    if let Some(answered_by) = &callback.answered_by {
        // The first answer stays: a repeat cannot change the outcome. It
        // may come after the final status (AMD's own callback is not
        // ordered with the others); the outcome below then reads it.
        repo::record_answered_by(db, call_id, answered_by, now).await?;
    }
    let finalized = match callback.call_status {
        Some(status) => advance_status(db, call_id, status, callback, now).await?,
        None => false,
    };
    let current = find_call(db, call_id).await?;
    let mut applied = StatusApplied {
        status: current.get_str("status").unwrap_or_default().to_string(),
        finalized,
        scheduled_status: None,
        callback: None,
    };
    // Also for a callback that only brings `answeredBy` to a final call:
    // a machine answer then turns an answered end into an unanswered one.
    if CallStatus::parse(&applied.status).is_some_and(CallStatus::is_final) {
        let (scheduled_status, callback) = end_of_call(db, call_id, &current, now).await?;
        applied.scheduled_status = scheduled_status;
        applied.callback = callback;
    }
    if finalized {
        if let Some(event) = CallEvent::of(CALL_COMPLETED, &current) {
            events.publish(&event).await;
        }
    }
    Ok(applied)
}

/// The call `call_id` as stored; `NotFound` when there is none.
async fn find_call(db: &Db, call_id: ObjectId) -> Result<Document> {
    repo::find_call(db, call_id)
        .await?
        .ok_or(Error::NotFound { what: "call" })
}

/// Records Twilio's `sid` on the `stored` call when the dialer had not
/// yet; a different sid is only logged.
pub(super) async fn record_sid(
    db: &Db,
    call_id: ObjectId,
    stored: &Document,
    sid: &str,
) -> Result<()> {
    match stored.get_str("twilioCallSid") {
        Ok(known) if known != sid => {
            tracing::warn!(call = %call_id, known, sid, "Twilio webhook for another CallSid");
            Ok(())
        }
        Ok(_) => Ok(()),
        // Twilio can call back before the dialer has stored the sid.
        Err(_) => repo::record_sid(db, call_id, sid).await,
    }
}

/// Moves the call forward to `status`, with its end when `status` is
/// final; `true` when this callback made the call final.
async fn advance_status(
    db: &Db,
    call_id: ObjectId,
    status: CallStatus,
    callback: &StatusCallback,
    now: DateTime<Utc>,
) -> Result<bool> {
    let ending = status.is_final().then(|| Ending {
        ended_at: callback.timestamp.unwrap_or(now),
        duration_secs: callback.duration_secs,
    });
    let moved = repo::advance_status(db, call_id, status, ending, now).await?;
    Ok(status.is_final() && moved)
}

/// Ends the scheduled call of the final call `current`, if it has one,
/// with the call's outcome: the scheduled call's status afterwards and
/// the next attempt.
async fn end_of_call(
    db: &Db,
    call_id: ObjectId,
    current: &Document,
    now: DateTime<Utc>,
) -> Result<(Option<String>, Option<Callback>)> {
    let Ok(scheduled_id) = current.get_object_id("scheduledCallId") else {
        return Ok((None, None));
    };
    let status = current.get_str("status").unwrap_or_default();
    let outcome = CallOutcome::of_call(
        status,
        current.get_str("answeredBy").ok(),
        current.get_bool("voicemailLeft").unwrap_or(false),
    );
    let ended_at = current
        .get_datetime("endedAt")
        .map_or(now, |t| t.to_chrono());
    end_scheduled_call(db, scheduled_id, call_id, outcome, ended_at).await
}

/// The call a request names in `callId`: 24 hex digits.
pub fn call_id_of(raw: Option<&str>) -> Result<ObjectId> {
    let raw = raw
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::bad_request(Some("callId"), "callId is required"))?;
    ObjectId::parse_str(raw)
        .map_err(|_| Error::bad_request(Some("callId"), "callId is not a call id"))
}

/// `callId` from a query string.
pub fn call_id_from_query(query: Option<&str>) -> Result<ObjectId> {
    let value = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "callId")
            .map(|(_, value)| value.into_owned())
    });
    call_id_of(value.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_a_final_callback() {
        let callback = StatusCallback::from_form(&form(&[
            ("CallSid", "CA1"),
            ("CallStatus", "completed"),
            ("CallDuration", "42"),
            ("AnsweredBy", "human"),
            ("Timestamp", "Sun, 29 Nov 2026 23:05:00 +0000"),
        ]))
        .unwrap();
        assert_eq!(callback.call_status, Some(CallStatus::Completed));
        assert_eq!(callback.duration_secs, Some(42));
        assert_eq!(callback.answered_by.as_deref(), Some("human"));
        assert_eq!(
            callback.timestamp,
            Some("2026-11-29T23:05:00Z".parse().unwrap())
        );
    }

    #[test]
    fn an_amd_callback_has_no_status() {
        let callback = StatusCallback::from_form(&form(&[
            ("CallSid", "CA1"),
            ("AnsweredBy", "machine_start"),
        ]))
        .unwrap();
        assert_eq!(callback.call_status, None);
    }

    #[test]
    fn refuses_malformed_callbacks() {
        for pairs in [
            vec![("CallSid", "CA1")],
            vec![("CallStatus", "exploded")],
            vec![("CallStatus", "completed"), ("CallDuration", "long")],
            vec![("CallStatus", "completed"), ("CallDuration", "-1")],
        ] {
            let error = StatusCallback::from_form(&form(&pairs)).unwrap_err();
            assert_eq!(error.status(), 400, "{pairs:?}");
        }
    }

    #[test]
    fn call_ids() {
        assert!(call_id_from_query(Some("callId=6a0000000000000000000001&x=1")).is_ok());
        for query in [
            None,
            Some(""),
            Some("callId="),
            Some("callId=nope"),
            Some("x=1"),
        ] {
            assert_eq!(call_id_from_query(query).unwrap_err().status(), 400);
        }
    }
}
