//! The JSON shapes of a call the API answers with: a summary per list
//! item, and the whole call (transcript, analysis, metrics, AI settings)
//! for `GET /api/calls/{id}`.

use chrono::{DateTime, Utc};
use mongodb::bson::Document;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::stored::StoredCall;
use super::transcript::{number, transcript, TranscriptTurn};
use crate::http::json::{document_to_json, object_json};
use crate::model::phone;

/// One party of a call.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantView {
    /// E.164 when the stored number parses, else as stored.
    pub phone_number: Option<String>,
    pub name: Option<String>,
    /// `callee` for the person an outbound call rang.
    pub role: Option<String>,
    pub contact_id: Option<String>,
}

/// A call in a list: who, when, how it went, and what the AI made of it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallSummary {
    pub id: String,
    /// Twilio's words: `initiated`, `ringing`, `in-progress`, `completed`,
    /// `busy`, `no-answer`, `failed`, `canceled`.
    pub status: String,
    /// `ai-only`, `recording` or `recording-ai`.
    pub call_mode: Option<String>,
    pub is_inbound: bool,
    pub automation_id: Option<String>,
    /// The contact called: the call's `contactId`, else a participant's.
    pub contact_id: Option<String>,
    pub scheduled_call_id: Option<String>,
    pub participants: Vec<ParticipantView>,
    /// The caller ID it was placed from.
    pub from: Option<String>,
    /// Twilio's `AnsweredBy`: `human`, `machine_start`, `unknown`, …
    pub answered_by: Option<String>,
    /// The automation's message was left on a voicemail box (after the
    /// beep): the callback rule's `voicemail-left`.
    pub voicemail_left: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// `metrics.duration`, in seconds.
    pub duration_secs: Option<f64>,
    /// `analysis.category`, as the AI named it.
    pub category: Option<String>,
    /// `analysis.followUpNeeded`; absent reads `false`.
    pub follow_up_needed: bool,
    /// `analysis.followUpDone`: the owner marked the follow-up handled.
    pub follow_up_done: bool,
    pub follow_up_done_at: Option<DateTime<Utc>>,
    pub follow_up_note: Option<String>,
    /// `analysis.summary`.
    pub summary: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A whole call.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: CallSummary,
    pub session_id: Option<String>,
    pub twilio_call_sid: Option<String>,
    /// ElevenLabs' `conversation_id`, for AI calls.
    pub conversation_id: Option<String>,
    /// Both stored turn shapes, read as one.
    pub transcript: Vec<TranscriptTurn>,
    /// The stored `analysis` as it is (`category`, `followUpNeeded`,
    /// `summary`, `sentiment`, …); `null` before the call is analysed.
    #[schema(value_type = Option<Object>)]
    pub analysis: Value,
    /// The stored `metrics` (`duration` seconds, `cost`, …); `{}` when none.
    #[schema(value_type = Object)]
    pub metrics: Value,
    /// What the call was told to say (`instructions`, `audioUrl`, …).
    #[schema(value_type = Object)]
    pub ai_config: Value,
    /// Inbound calls' details; `{}` for outbound ones.
    #[schema(value_type = Object)]
    pub inbound_data: Value,
}

fn text(document: &Document, key: &str) -> Option<String> {
    document
        .get_str(key)
        .ok()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

fn flag(document: Option<&Document>, key: &str) -> bool {
    document.is_some_and(|document| document.get_bool(key).unwrap_or(false))
}

fn participant(document: &Document) -> ParticipantView {
    ParticipantView {
        phone_number: document
            .get_str("phoneNumber")
            .ok()
            .map(|number| phone::to_e164(number, None).unwrap_or_else(|_| number.to_string())),
        name: text(document, "name"),
        role: text(document, "role"),
        contact_id: document
            .get_object_id("contactId")
            .ok()
            .map(|id| id.to_hex()),
    }
}

impl From<&StoredCall> for CallSummary {
    fn from(stored: &StoredCall) -> Self {
        let call = &stored.call;
        let analysis = call.analysis.as_ref();
        let contact_id = stored.contact_id.or_else(|| {
            call.participants
                .iter()
                .find_map(|party| party.get_object_id("contactId").ok())
        });
        Self {
            id: call.id.to_hex(),
            status: call.status.clone(),
            call_mode: call.call_mode.clone(),
            is_inbound: call.is_inbound.unwrap_or(false),
            automation_id: call.automation_id.map(|id| id.to_hex()),
            contact_id: contact_id.map(|id| id.to_hex()),
            scheduled_call_id: stored.scheduled_call_id.map(|id| id.to_hex()),
            participants: call.participants.iter().map(participant).collect(),
            from: call.from.clone().or_else(|| call.caller_number.clone()),
            answered_by: stored.answered_by.clone(),
            voicemail_left: stored.voicemail_left,
            started_at: call.started_at.map(|at| at.to_chrono()),
            ended_at: call.ended_at.map(|at| at.to_chrono()),
            duration_secs: call
                .metrics
                .as_ref()
                .and_then(|metrics| metrics.get("duration"))
                .and_then(number),
            category: analysis.and_then(|analysis| text(analysis, "category")),
            follow_up_needed: flag(analysis, "followUpNeeded"),
            follow_up_done: flag(analysis, "followUpDone"),
            follow_up_done_at: analysis
                .and_then(|analysis| analysis.get_datetime("followUpDoneAt").ok())
                .map(|at| at.to_chrono()),
            follow_up_note: analysis.and_then(|analysis| text(analysis, "followUpNote")),
            summary: analysis.and_then(|analysis| text(analysis, "summary")),
            created_at: call.created_at.map(|at| at.to_chrono()),
            updated_at: call.updated_at.map(|at| at.to_chrono()),
        }
    }
}

impl From<StoredCall> for CallSummary {
    fn from(stored: StoredCall) -> Self {
        Self::from(&stored)
    }
}

impl From<&StoredCall> for CallDetail {
    fn from(stored: &StoredCall) -> Self {
        let call = &stored.call;
        let started_at = call.started_at.map(|at| at.to_chrono());
        Self {
            call: CallSummary::from(stored),
            session_id: call.session_id.clone(),
            twilio_call_sid: call.twilio_call_sid.clone(),
            conversation_id: call
                .eleven_labs_data
                .as_ref()
                .and_then(|data| text(data, "conversation_id")),
            transcript: transcript(&call.transcription, started_at),
            analysis: call.analysis.as_ref().map_or(Value::Null, document_to_json),
            metrics: object_json(call.metrics.as_ref()),
            ai_config: object_json(call.ai_config.as_ref()),
            inbound_data: object_json(call.inbound_data.as_ref()),
        }
    }
}

impl From<StoredCall> for CallDetail {
    fn from(stored: StoredCall) -> Self {
        Self::from(&stored)
    }
}
