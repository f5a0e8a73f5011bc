//! ElevenLabs' post-call webhooks: the transcript and the agent's
//! analysis onto the call, an opt-out onto the contact, and a failed
//! call start onto the call's status.
//!
//! The call is the one whose Twilio sid or conversation id we recorded
//! (`conversation_call.rs`); a `heyway_call_id` naming another call is
//! refused. ElevenLabs does not retry by default, so everything is stored
//! before answering; a redelivery (or a replay within the signature's tolerance)
//! finds `elevenLabsData.post_call_received_at` set and changes nothing.

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::Value;

use super::analysis::{self, Analysis, Turn};
use super::conversation_call::find_call;
use super::repo::{self, PostCallRecord};
use super::status::{apply_status, StatusCallback};
use crate::error::{Error, Result};
use crate::features::do_not_call;
use crate::infra::db::Db;
use crate::infra::events::{CallEvent, Events, FOLLOW_UP_NEEDED};
use crate::model::{node_json, phone, CallStatus};

/// What a webhook did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostCall {
    /// The transcript and analysis were stored on the call.
    Stored {
        call_id: ObjectId,
        follow_up_needed: bool,
        /// The contact was marked opted out by this delivery.
        opted_out: bool,
    },
    /// This conversation was already stored: nothing changed.
    AlreadyStored { call_id: ObjectId },
    /// The call is marked failed (`call_initiation_failure`).
    Failed { call_id: ObjectId, status: String },
    /// A type we do not handle (`post_call_audio`, …).
    Ignored { kind: String },
}

/// Handles the verified webhook `body` (JSON `{type, event_timestamp, data}`).
pub async fn handle(db: &Db, events: &Events, body: &[u8], now: DateTime<Utc>) -> Result<PostCall> {
    let event: Value = serde_json::from_slice(body)
        .map_err(|e| Error::bad_request(None, format!("body is not JSON: {e}")))?;
    let kind = event["type"]
        .as_str()
        .ok_or_else(|| Error::bad_request(Some("type"), "type is required"))?;
    let data = &event["data"];
    match kind {
        "post_call_transcription" | "call_initiation_failure" if !data.is_object() => {
            Err(Error::bad_request(Some("data"), "data must be an object"))
        }
        "post_call_transcription" => {
            transcription(db, events, data, ReportSource::Webhook, now).await
        }
        "call_initiation_failure" => initiation_failure(db, events, data, now).await,
        other => {
            tracing::info!(kind = other, "ElevenLabs webhook ignored");
            Ok(PostCall::Ignored {
                kind: other.to_string(),
            })
        }
    }
}

/// How a conversation's report reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportSource {
    /// ElevenLabs' post-call webhook.
    Webhook,
    /// Fetched by the evaluator when the webhook never came
    /// ([`super::missed_reports`]).
    Api,
}

impl ReportSource {
    fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Api => "api",
        }
    }
}

/// `post_call_transcription`, or the same conversation fetched from
/// ElevenLabs' API (`data` is the webhook's `data`, or the API's answer:
/// the same shape): the transcript and our analysis stored once on the
/// call, then the opt-out and the "Follow-up Needed" event.
pub(super) async fn transcription(
    db: &Db,
    events: &Events,
    data: &Value,
    source: ReportSource,
    now: DateTime<Utc>,
) -> Result<PostCall> {
    let (call, call_id) = find_call(db, data).await?;
    let turns = transcript(&data["transcript"]);
    let analysis = analysis::derive(&data["analysis"], &plain_turns(&turns));
    let mut record = post_call_record(&call, data, turns, &analysis);
    record.source = source.as_str();
    let at = bson::DateTime::from_chrono(now);
    if !repo::store_post_call(db, call_id, record, at).await? {
        tracing::info!(call = %call_id, "post-call report already stored");
        finish_pending_opt_out(db, call_id, at).await?;
        return Ok(PostCall::AlreadyStored { call_id });
    }
    let opted_out = analysis.opt_out && record_opt_out(db, &call, call_id, at).await?;
    if analysis.follow_up_needed {
        if let Some(current) = repo::find_call(db, call_id).await? {
            if let Some(event) = CallEvent::of(FOLLOW_UP_NEEDED, &current) {
                events.publish(&event).await;
            }
        }
    }
    Ok(PostCall::Stored {
        call_id,
        follow_up_needed: analysis.follow_up_needed,
        opted_out,
    })
}

/// The stored turns as the analysis reads them.
fn plain_turns(turns: &[Bson]) -> Vec<Turn> {
    turns
        .iter()
        .filter_map(Bson::as_document)
        .map(|t| Turn {
            role: t.get_str("role").unwrap_or_default().to_string(),
            message: t.get_str("message").unwrap_or_default().to_string(),
        })
        .collect()
}

/// What the webhook `data` stores on the stored `call`.
fn post_call_record(
    call: &Document,
    data: &Value,
    transcription: Vec<Bson>,
    analysis: &Analysis,
) -> PostCallRecord {
    let metadata = &data["metadata"];
    let mut eleven_labs_data = Document::new();
    for (key, value) in [
        ("conversation_id", &data["conversation_id"]),
        ("agent_id", &data["agent_id"]),
        ("status", &data["status"]),
        ("termination_reason", &metadata["termination_reason"]),
        ("start_time_unix_secs", &metadata["start_time_unix_secs"]),
        ("call_duration_secs", &metadata["call_duration_secs"]),
        ("cost", &metadata["cost"]),
        ("phone_call", &metadata["phone_call"]),
        ("call_successful", &data["analysis"]["call_successful"]),
        (
            "transcript_summary",
            &data["analysis"]["transcript_summary"],
        ),
    ] {
        if !value.is_null() {
            eleven_labs_data.insert(key, node_json::to_bson(value));
        }
    }
    // Twilio's duration (the whole call, billed) stays when it came first.
    let has_duration = call
        .get_document("metrics")
        .is_ok_and(|m| m.contains_key("duration"));
    PostCallRecord {
        transcription,
        analysis: analysis.to_document(),
        eleven_labs_data,
        duration: number(&metadata["call_duration_secs"]).filter(|_| !has_duration),
        cost: number(&metadata["cost"]),
        source: ReportSource::Webhook.as_str(),
        opt_out_pending: analysis.opt_out,
    }
}

/// Records the opt-out heard on `call` (`call_id`), then clears the
/// pending mark stored with its report; `true` when the contact changed.
async fn record_opt_out(
    db: &Db,
    call: &Document,
    call_id: ObjectId,
    at: bson::DateTime,
) -> Result<bool> {
    let changed = opt_out_contact(db, call, at).await?;
    repo::opt_out_recorded(db, call_id).await?;
    Ok(changed)
}

/// A report stored earlier whose opt-out was not recorded (the registry
/// write failed after the report was stored): recorded now, so a
/// redelivery finishes it.
async fn finish_pending_opt_out(db: &Db, call_id: ObjectId, at: bson::DateTime) -> Result<()> {
    let Some(call) = repo::find_call(db, call_id).await? else {
        return Ok(());
    };
    let pending = call
        .get_document("elevenLabsData")
        .is_ok_and(|data| data.get_bool("opt_out_pending").unwrap_or(false));
    if pending {
        tracing::info!(call = %call_id, "recording the opt-out a first delivery left pending");
        record_opt_out(db, &call, call_id, at).await?;
    }
    Ok(())
}

/// Records the recipient's opt-out: the number into the business's
/// do-not-call registry (source `agent`, with this call), and the call's
/// contact marked `optedOut` as the Node app read it (the dialer's
/// preflight refuses both); `true` when this call changed the contact.
async fn opt_out_contact(db: &Db, call: &Document, at: bson::DateTime) -> Result<bool> {
    let contact = call.get_object_id("contactId").ok().or_else(|| {
        call.get_array("participants")
            .ok()?
            .iter()
            .find_map(|p| p.as_document()?.get_object_id("contactId").ok())
    });
    let Ok(user) = call.get_object_id("userId") else {
        tracing::warn!(call = ?call.get_object_id("_id").ok(), "opt-out asked, but the call names no owner");
        return Ok(false);
    };
    let opted_out = match contact {
        Some(contact) => {
            let changed = repo::opt_out_contact(db, contact, user, at).await?;
            if changed {
                tracing::info!(%contact, "contact opted out on the call");
            }
            changed
        }
        None => {
            tracing::warn!(call = ?call.get_object_id("_id").ok(), "opt-out asked, but the call names no contact");
            false
        }
    };
    if let Some(e164) = recipient_number(call) {
        let registration = do_not_call::Registration {
            e164,
            source: do_not_call::Source::Agent,
            added_by: None,
            call_id: call.get_object_id("_id").ok(),
            contact_id: contact,
            note: None,
        };
        do_not_call::register(db, user, registration, at.to_chrono()).await?;
    } else {
        tracing::warn!(call = ?call.get_object_id("_id").ok(), "opt-out asked, but the call holds no valid number");
    }
    Ok(opted_out)
}

/// The other party's number, E.164: the first participant's (the callee of
/// an outbound call, the caller of an inbound one), else `from` of an
/// inbound call.
fn recipient_number(call: &Document) -> Option<String> {
    let participant = call.get_array("participants").ok().and_then(|ps| {
        ps.iter()
            .find_map(|p| p.as_document()?.get_str("phoneNumber").ok())
    });
    let inbound_from = call
        .get_bool("isInbound")
        .unwrap_or(false)
        .then(|| call.get_str("from").ok())
        .flatten();
    participant
        .or(inbound_from)
        .and_then(|raw| phone::to_e164(raw, None).ok())
}

/// The turns as stored: ElevenLabs' `role`, `message`,
/// `time_in_call_secs`, plus the old app's `speaker` / `text`. Turns
/// without words (tool calls) are left out.
fn transcript(turns: &Value) -> Vec<Bson> {
    let Some(turns) = turns.as_array() else {
        return Vec::new();
    };
    turns
        .iter()
        .filter_map(|turn| {
            let message = turn["message"]
                .as_str()
                .map(str::trim)
                .filter(|m| !m.is_empty())?;
            let role = turn["role"].as_str().unwrap_or("unknown");
            let mut stored = doc! {
                "role": role,
                "message": message,
                "speaker": role,
                "text": message,
            };
            if let Some(secs) = number(&turn["time_in_call_secs"]) {
                stored.insert("time_in_call_secs", secs);
            }
            Some(Bson::Document(stored))
        })
        .collect()
}

/// A JSON number as BSON, stored as Node would.
fn number(value: &Value) -> Option<Bson> {
    value.is_number().then(|| node_json::to_bson(value))
}

/// `call_initiation_failure`: the call never connected. It ends like a
/// Twilio final status (`busy` / `no-answer` when ElevenLabs says so,
/// else `failed`), scheduled call and callback included.
async fn initiation_failure(
    db: &Db,
    events: &Events,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<PostCall> {
    let (_, call_id) = find_call(db, data).await?;
    let reason = data["failure_reason"].as_str().unwrap_or("unknown");
    let status = CallStatus::normalize(reason)
        .filter(|status| matches!(status, CallStatus::Busy | CallStatus::NoAnswer))
        .unwrap_or(CallStatus::Failed);
    repo::record_failure_reason(db, call_id, reason).await?;
    let callback = StatusCallback {
        call_status: Some(status),
        timestamp: Some(now),
        ..StatusCallback::default()
    };
    let applied = apply_status(db, events, call_id, &callback, now).await?;
    Ok(PostCall::Failed {
        call_id,
        status: applied.status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transcript_keeps_the_legacy_keys() {
        let turns = transcript(&json!([
            { "role": "agent", "message": "Hi Pat!", "time_in_call_secs": 0 },
            { "role": "user", "message": null, "tool_calls": [] },
            { "role": "user", "message": "Hello.", "time_in_call_secs": 2.5 },
        ]));
        assert_eq!(turns.len(), 2);
        assert_eq!(
            turns[1],
            Bson::Document(doc! {
                "role": "user", "message": "Hello.", "speaker": "user", "text": "Hello.",
                "time_in_call_secs": 2.5,
            })
        );
    }
}
