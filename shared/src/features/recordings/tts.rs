//! `POST /api/recordings/tts`: ElevenLabs text-to-speech, stored as a
//! recording with the duration read from the audio.

use mongodb::bson::{oid::ObjectId, Bson, Document};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::mp3;
use super::prompt::professional_prompt;
use super::service::{self, new_key, MAX_DURATION, MAX_NAME};
use super::view::RecordingDetail;
use crate::error::{Error, Result};
use crate::http::input;
use crate::infra::config::ElevenLabsConfig;
use crate::infra::db::Db;
use crate::infra::storage::{Location, Storage, StoreKind};
use crate::infra::store;
use crate::model::{Number, User};

/// ElevenLabs' multilingual model.
pub const MODEL_ID: &str = "eleven_multilingual_v2";
/// MP3 at 44.1 kHz, 128 kb/s: what Twilio's `<Play>` and browsers play.
pub const OUTPUT_FORMAT: &str = "mp3_44100_128";
pub const MAX_TEXT: usize = 2_500;

/// `POST /api/recordings/tts`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TtsRequest {
    /// What the voice says, 1 to 2,500 characters.
    pub text: Option<String>,
    /// An ElevenLabs voice id; default the one in the user's `aiConfig`.
    pub voice_id: Option<String>,
    /// `stability`, `similarityBoost`, `style` (0 to 1), `speed` (0.7 to
    /// 1.2), `useSpeakerBoost`; default the user's `aiConfig.voiceSettings`.
    #[schema(value_type = Option<Object>)]
    pub voice_settings: Option<Map<String, Value>>,
    /// Default: the text's first words.
    pub name: Option<String>,
}

/// One voice setting: our camelCase name, ElevenLabs' name and its range.
const SETTINGS: [(&str, &str, f64, f64); 4] = [
    ("stability", "stability", 0.0, 1.0),
    ("similarityBoost", "similarity_boost", 0.0, 1.0),
    ("style", "style", 0.0, 1.0),
    ("speed", "speed", 0.7, 1.2),
];

/// Validated settings: (stored camelCase, ElevenLabs' snake_case).
fn voice_settings(given: &Map<String, Value>) -> Result<(Document, Map<String, Value>)> {
    let mut stored = Document::new();
    let mut wire = Map::new();
    for (key, value) in given {
        let field = format!("voiceSettings.{key}");
        if let Some((camel, snake, min, max)) = SETTINGS
            .iter()
            .find(|(camel, snake, ..)| key == camel || key == snake)
        {
            let number = value
                .as_f64()
                .filter(|n| (*min..=*max).contains(n))
                .ok_or_else(|| {
                    Error::validation(
                        &field,
                        format!("{key} must be a number from {min} to {max}"),
                    )
                })?;
            stored.insert(*camel, number);
            wire.insert((*snake).to_string(), Value::from(number));
        } else if key == "useSpeakerBoost" || key == "use_speaker_boost" {
            let flag = value
                .as_bool()
                .ok_or_else(|| Error::validation(&field, format!("{key} must be true or false")))?;
            stored.insert("useSpeakerBoost", flag);
            wire.insert("use_speaker_boost".into(), Value::Bool(flag));
        } else {
            return Err(Error::validation(
                &field,
                format!("unknown voice setting {key}"),
            ));
        }
    }
    Ok((stored, wire))
}

fn ai_config<'a>(user: &'a User, key: &str) -> Option<&'a Bson> {
    user.ai_config.as_ref()?.get(key)
}

fn default_name(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().take(6).collect();
    let name: String = words.join(" ").chars().take(MAX_NAME).collect();
    name
}

/// Speaks `request.text`, stores the MP3 and records it.
pub async fn create(
    db: &Db,
    storage: &Storage,
    http: &reqwest::Client,
    elevenlabs: &ElevenLabsConfig,
    user_id: ObjectId,
    request: TtsRequest,
) -> Result<RecordingDetail> {
    let text = input::name(
        "text",
        request.text.as_deref().unwrap_or_default(),
        MAX_TEXT,
    )?;
    let name = match request.name.as_deref() {
        Some(name) => input::name("name", name, MAX_NAME)?,
        None => default_name(&text),
    };
    let user = store::find_by_id::<User>(db, user_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    let voice_id = voice_id(request.voice_id.as_deref(), &user)?;
    let given = request
        .voice_settings
        .unwrap_or_else(|| default_settings(&user));
    let (stored_settings, wire_settings) = voice_settings(&given)?;

    let audio = speak(http, elevenlabs, &voice_id, &text, wire_settings).await?;
    let seconds = duration(&audio)?;
    let key = new_key(user_id, "mp3");
    put(storage, http, &key, audio).await?;

    let mut recording = service::blank(
        user_id,
        name,
        storage.file_path(&key),
        Number::node((seconds * 100.0).round() / 100.0),
    );
    recording.is_ai_voice = Some(true);
    recording.professional_prompt = Some(professional_prompt(&text, &user));
    recording.original_text = Some(text);
    let mut settings = stored_settings;
    settings.insert("voiceId", voice_id);
    recording.voice_settings = Some(settings);
    let stored = store::insert(db, &recording).await?;
    Ok(service::detail(storage, &stored).await)
}

/// The voice asked for, else the one in the user's `aiConfig`; 422 naming
/// `voiceId` when there is none or it is not an ElevenLabs voice id.
fn voice_id(requested: Option<&str>, user: &User) -> Result<String> {
    let voice_id = match requested {
        Some(voice) => input::name("voiceId", voice, 100)?,
        None => match ai_config(user, "voiceId") {
            Some(Bson::String(v)) if !v.trim().is_empty() => v.trim().to_string(),
            _ => {
                return Err(Error::validation(
                    "voiceId",
                    "voiceId is required: none is set in your AI settings",
                ))
            }
        },
    };
    if !voice_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Error::validation(
            "voiceId",
            "voiceId is not an ElevenLabs voice id",
        ));
    }
    Ok(voice_id)
}

/// The user's `aiConfig.voiceSettings` as JSON, or none.
fn default_settings(user: &User) -> Map<String, Value> {
    match ai_config(user, "voiceSettings") {
        Some(Bson::Document(d)) => match Bson::Document(d.clone()).into_relaxed_extjson() {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// The length of ElevenLabs' `audio` in seconds; 422 naming `text` when
/// it is longer than a call plays.
fn duration(audio: &[u8]) -> Result<f64> {
    let seconds = mp3::duration(audio).map_err(|e| {
        tracing::warn!(error = %e, "ElevenLabs audio unreadable");
        Error::Unavailable("ElevenLabs answered audio that is not MP3".into())
    })?;
    if seconds > MAX_DURATION {
        return Err(Error::validation(
            "text",
            format!("the spoken message would last {seconds:.0} s; at most {MAX_DURATION} s"),
        ));
    }
    Ok(seconds)
}

/// ElevenLabs' MP3 of `text` in `voice_id`.
async fn speak(
    http: &reqwest::Client,
    config: &ElevenLabsConfig,
    voice_id: &str,
    text: &str,
    voice_settings: Map<String, Value>,
) -> Result<Vec<u8>> {
    let api_key = config.api_key.as_deref().ok_or_else(|| {
        Error::Unavailable("AI voice is not configured (ELEVENLABS_API_KEY)".into())
    })?;
    let mut body = serde_json::json!({ "text": text, "model_id": MODEL_ID });
    if !voice_settings.is_empty() {
        body["voice_settings"] = Value::Object(voice_settings);
    }
    let url = format!(
        "{}/v1/text-to-speech/{voice_id}?output_format={OUTPUT_FORMAT}",
        config.base_url.trim_end_matches('/')
    );
    let response = http
        .post(url)
        .header("xi-api-key", api_key)
        .header("accept", "audio/mpeg")
        .json(&body)
        .send()
        .await
        .map_err(|e| Error::Unavailable(format!("ElevenLabs is unavailable: {e}")))?;
    let status = response.status();
    if status.as_u16() == 404 {
        return Err(Error::validation("voiceId", "ElevenLabs has no such voice"));
    }
    if status.as_u16() == 422 || status.as_u16() == 400 {
        let detail = response.text().await.unwrap_or_default();
        tracing::warn!(%status, detail, "ElevenLabs refused a text-to-speech request");
        return Err(Error::validation(
            "text",
            "ElevenLabs refused to speak this text",
        ));
    }
    if !status.is_success() {
        return Err(Error::Unavailable(format!(
            "ElevenLabs text-to-speech failed ({status})"
        )));
    }
    response
        .bytes()
        .await
        .map(|b| b.to_vec())
        .map_err(|e| Error::Unavailable(format!("ElevenLabs audio was cut off: {e}")))
}

/// Stores `audio` at `key`: a file in the local store, else a PUT to a
/// signed URL.
async fn put(storage: &Storage, http: &reqwest::Client, key: &str, audio: Vec<u8>) -> Result<()> {
    if storage.kind() == StoreKind::Local {
        let path = storage.local_dir().join(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| Error::Internal(format!("creating {}: {e}", dir.display())))?;
        }
        return tokio::fs::write(&path, audio)
            .await
            .map_err(|e| Error::Internal(format!("writing {}: {e}", path.display())));
    }
    let location = Location::parse(&storage.file_path(key))
        .ok_or_else(|| Error::Internal("recordings store has no bucket".into()))?;
    let signed = storage
        .sign(
            axum::http::Method::PUT,
            &location,
            crate::infra::storage::UPLOAD_TTL,
        )
        .await?;
    let response = http
        .put(signed.url)
        .header("content-type", "audio/mpeg")
        .body(audio)
        .send()
        .await
        .map_err(|e| Error::Unavailable(format!("recordings storage is unavailable: {e}")))?;
    if !response.status().is_success() {
        return Err(Error::Unavailable(format!(
            "recordings storage refused the upload ({})",
            response.status()
        )));
    }
    Ok(())
}
