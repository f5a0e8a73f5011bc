use mongodb::bson::{oid::ObjectId, DateTime, Document};
use serde::{Deserialize, Serialize};

use super::{record, Number};

/// `calls`: a placed (or received) call, with its transcript and the AI's
/// analysis of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub user_id: ObjectId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation_id: Option<ObjectId>,
    /// `{phoneNumber, name, …}` per party.
    #[serde(default)]
    pub participants: Vec<Document>,
    /// `{role/speaker, text/message, timestamp, …}` per turn.
    #[serde(default)]
    pub transcription: Vec<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_config: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inbound: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_data: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twilio_call_sid: Option<String>,
    /// ElevenLabs' conversation (`conversation_id`, snake case inside).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eleven_labs_data: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Document>,
    /// `{category, followUpNeeded, summary, …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime>,
    #[serde(rename = "__v", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Number>,
}

record!(Call, "calls");

impl Call {
    pub fn analysis_category(&self) -> Option<&str> {
        self.analysis.as_ref()?.get_str("category").ok()
    }

    pub fn follow_up_needed(&self) -> bool {
        self.analysis
            .as_ref()
            .and_then(|analysis| analysis.get_bool("followUpNeeded").ok())
            .unwrap_or(false)
    }
}
