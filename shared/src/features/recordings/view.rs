//! What the API shows of a recording.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::json::object_json;
use crate::model::Recording;

/// A recording as lists show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordingView {
    /// 24-hex id.
    pub id: String,
    pub name: String,
    /// Storage location: `gs://bucket/key`, `s3://bucket/key` or `local://key`.
    pub file_path: Option<String>,
    /// Seconds.
    pub duration: Option<f64>,
    /// Generated from text by an AI voice.
    #[serde(rename = "isAIVoice")]
    pub is_ai_voice: bool,
    pub original_text: Option<String>,
    /// What the AI agent answers with after a recording-then-AI message.
    pub professional_prompt: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub voice_settings: Option<Value>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&Recording> for RecordingView {
    fn from(r: &Recording) -> Self {
        Self {
            id: r.id.to_hex(),
            name: r.name.clone(),
            file_path: r.file_path.clone(),
            duration: r.duration.map(|d| d.as_f64()),
            is_ai_voice: r.is_ai_voice.unwrap_or(false),
            original_text: r.original_text.clone(),
            professional_prompt: r.professional_prompt.clone(),
            voice_settings: r.voice_settings.as_ref().map(|s| object_json(Some(s))),
            created_at: r.created_at.map(|d| d.to_chrono()),
            updated_at: r.updated_at.map(|d| d.to_chrono()),
        }
    }
}

/// One recording with a URL that plays it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordingDetail {
    #[serde(flatten)]
    pub recording: RecordingView,
    /// A signed GET URL, valid for an hour; `null` when the audio cannot
    /// be reached (see `urlUnavailableReason`).
    pub url: Option<String>,
    pub url_expires_at: Option<DateTime<Utc>>,
    /// Why `url` is null.
    pub url_unavailable_reason: Option<String>,
}

/// `POST /api/recordings/upload-url`'s answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    /// PUT the audio here, with the same `Content-Type`.
    pub upload_url: String,
    /// Register the recording with this `filePath` once uploaded.
    pub file_path: String,
    pub expires_at: DateTime<Utc>,
    /// Always `PUT`.
    pub method: &'static str,
    pub content_type: String,
}
