//! A local ElevenLabs API for the Twilio integration: checks the
//! `xi-api-key` header and the JSON shape of `register-call` and
//! `outbound-call`, and answers as ElevenLabs does.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

pub const API_KEY: &str = "test-xi-api-key";
pub const AGENT_ID: &str = "agent_test_0001";
pub const PHONE_NUMBER_ID: &str = "phnum_test_0001";
/// `outbound-call` answers `success: false` for this number.
pub const TO_FAILS: &str = "+15005550009";
/// Answered 503.
pub const TO_UNAVAILABLE: &str = "+15005550503";
/// The TwiML `register-call` answers.
pub const TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\"wss://api.elevenlabs.io/v1/convai/conversation/twilio\"/></Connect></Response>";

/// Requests received: (path, JSON body).
pub type Received = Arc<Mutex<Vec<(String, Value)>>>;

pub struct FakeElevenLabs {
    pub base_url: String,
    pub received: Received,
}

impl FakeElevenLabs {
    pub async fn start() -> Self {
        let received: Received = Arc::default();
        let app = Router::new()
            .route("/v1/convai/twilio/register-call", post(register_call))
            .route("/v1/convai/twilio/outbound-call", post(outbound_call))
            .route("/v1/text-to-speech/{voice_id}", post(text_to_speech))
            .with_state(received.clone());
        let base_url = crate::fake_server::serve(app).await;
        Self { base_url, received }
    }

    /// Config overrides pointing our client here.
    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ELEVENLABS_API_KEY", API_KEY.to_string()),
            ("ELEVENLABS_AGENT_ID", AGENT_ID.to_string()),
            ("ELEVENLABS_BASE_URL", self.base_url.clone()),
        ]
    }

    pub fn requests(&self) -> Vec<(String, Value)> {
        self.received.lock().expect("lock").clone()
    }
}

fn validation(detail: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"detail": [{"loc": ["body"], "msg": detail, "type": "value_error"}]})),
    )
        .into_response()
}

/// The checks both endpoints share: API key, JSON content type, agent,
/// and the shape of `conversation_initiation_client_data`. Boxed: a
/// `Response` is large and this is the cold path.
fn check(headers: &HeaderMap, body: &Value) -> Result<(), Box<Response>> {
    if headers.get("xi-api-key").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        return Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
                ),
            )
                .into_response(),
        ));
    }
    let json_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !json_type.starts_with("application/json") {
        return Err(Box::new(validation("expected JSON")));
    }
    if body["agent_id"] != AGENT_ID {
        return Err(Box::new(validation("unknown agent_id")));
    }
    if !body["to_number"]
        .as_str()
        .is_some_and(|n| n.starts_with('+'))
    {
        return Err(Box::new(validation("to_number must be E.164")));
    }
    let data = &body["conversation_initiation_client_data"];
    if !data.is_null() {
        if !data["dynamic_variables"].is_null() && !data["dynamic_variables"].is_object() {
            return Err(Box::new(validation("dynamic_variables must be an object")));
        }
        let o = &data["conversation_config_override"];
        if !o.is_null() {
            let allowed = ["agent", "tts", "conversation"];
            let keys_ok = o
                .as_object()
                .is_some_and(|m| m.keys().all(|k| allowed.contains(&k.as_str())));
            let prompt = &o["agent"]["prompt"];
            if !keys_ok || (!prompt.is_null() && !prompt["prompt"].is_string()) {
                return Err(Box::new(validation("bad conversation_config_override")));
            }
        }
    }
    Ok(())
}

async fn register_call(
    State(received): State<Received>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    received
        .lock()
        .expect("lock")
        .push(("register-call".into(), body.clone()));
    if let Err(response) = check(&headers, &body) {
        return *response;
    }
    if !body["from_number"].is_string()
        || !matches!(
            body["direction"].as_str(),
            None | Some("inbound" | "outbound")
        )
    {
        return validation("from_number and direction");
    }
    if body["to_number"] == TO_UNAVAILABLE {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    ([("content-type", "application/xml")], TWIML).into_response()
}

async fn outbound_call(
    State(received): State<Received>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    received
        .lock()
        .expect("lock")
        .push(("outbound-call".into(), body.clone()));
    if let Err(response) = check(&headers, &body) {
        return *response;
    }
    if body["agent_phone_number_id"] != PHONE_NUMBER_ID {
        return validation("unknown agent_phone_number_id");
    }
    match body["to_number"].as_str() {
        Some(TO_UNAVAILABLE) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Some(TO_FAILS) => Json(json!({"success": false, "message": "Failed to initiate call", "conversation_id": null, "callSid": null})).into_response(),
        _ => Json(json!({
            "success": true,
            "message": "Success",
            "conversation_id": "conv_test_0001",
            "callSid": "CA00000000000000000000000000000002",
        }))
        .into_response(),
    }
}

/// A voice the fake text-to-speech knows; others answer 404.
pub const VOICE_ID: &str = "voice_test_0001";
/// MP3 frames the fake speaks per word of text (1152 samples at 44.1 kHz each).
pub const FRAMES_PER_WORD: usize = 20;

/// `POST /v1/text-to-speech/{voice_id}?output_format=…`: checks the key,
/// the JSON body (`text`, `model_id`, snake_case `voice_settings` in
/// range) and answers `audio/mpeg` of `FRAMES_PER_WORD` silent frames per
/// word.
async fn text_to_speech(
    State(received): State<Received>,
    Path(voice_id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    received
        .lock()
        .expect("lock")
        .push((format!("text-to-speech/{voice_id}"), body.clone()));
    if headers.get("xi-api-key").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if voice_id != VOICE_ID {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"detail": {"status": "voice_not_found", "message": "A voice with the voice_id was not found."}})),
        )
            .into_response();
    }
    if query
        .get("output_format")
        .is_some_and(|f| !f.starts_with("mp3_"))
    {
        return validation("output_format");
    }
    let Some(text) = body["text"].as_str().filter(|t| !t.trim().is_empty()) else {
        return validation("text is required");
    };
    if !body["model_id"].is_string() {
        return validation("model_id");
    }
    let settings = &body["voice_settings"];
    if !settings.is_null() {
        let known = [
            "stability",
            "similarity_boost",
            "style",
            "speed",
            "use_speaker_boost",
        ];
        let ok = settings.as_object().is_some_and(|m| {
            m.iter().all(|(k, v)| {
                known.contains(&k.as_str())
                    && if k == "use_speaker_boost" {
                        v.is_boolean()
                    } else {
                        v.as_f64().is_some_and(|n| (0.0..=1.2).contains(&n))
                    }
            })
        });
        if !ok {
            return validation("voice_settings");
        }
    }
    let words = text.split_whitespace().count();
    (
        [("content-type", "audio/mpeg")],
        heyway::features::recordings::mp3::silent_frames(words * FRAMES_PER_WORD),
    )
        .into_response()
}
