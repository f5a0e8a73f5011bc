//! What a call says: its mode and the `aiConfig` the voice webhook answers
//! TwiML from (docs/dialing.md), decided once when the call is placed.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};

use crate::model::{Automation, Contact, Recording, ScheduledCall, User};

/// The three call modes, as the Node app named them.
pub mod mode {
    pub const AI_ONLY: &str = "ai-only";
    pub const RECORDING: &str = "recording";
    pub const RECORDING_AI: &str = "recording-ai";
}

/// `aiConfig` key of the words an AI call opens with.
pub use crate::model::ai_disclosure::AI_CONFIG_KEY as DISCLOSURE_KEY;

/// What the voice webhook needs to answer the call.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    pub call_mode: &'static str,
    pub ai_config: Document,
}

impl Script {
    /// Whether the call has a message (a recording or text) to leave on
    /// an answering machine: the recording modes always do. Such a call
    /// waits for the machine's beep (voicemail drop, docs/dialing.md).
    pub fn leaves_voicemail(&self) -> bool {
        ["audioUrl", "messageText"].iter().any(|key| {
            self.ai_config
                .get_str(key)
                .is_ok_and(|v| !v.trim().is_empty())
        })
    }
}

/// Why a call cannot be scripted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptError {
    /// A recorded-message mode with no audio URL and no text to speak.
    NoMessage,
}

impl ScriptError {
    pub fn message(self) -> &'static str {
        match self {
            Self::NoMessage => {
                "This call's recorded message cannot be played: upload the recording again or give the message as text."
            }
        }
    }
}

/// Everything the script is made from.
pub struct ScriptInputs<'a> {
    pub call: &'a ScheduledCall,
    pub automation: Option<&'a Automation>,
    pub recording: Option<&'a Recording>,
    /// A URL that plays `recording` now (signed from its `filePath` by
    /// [`crate::features::recordings::play_url`]), when it has one.
    pub recording_url: Option<&'a str>,
    pub user: &'a User,
    pub contact: Option<&'a Contact>,
    /// The `calls` document's id, handed to the agent so its post-call
    /// webhook finds the call.
    pub call_id: ObjectId,
}

/// Builds the script: the mode the call was scheduled with (else the
/// automation's), the agent's instructions, the message to play and the
/// agent's dynamic variables.
pub fn build(inputs: &ScriptInputs<'_>) -> Result<Script, ScriptError> {
    let ScriptInputs {
        call,
        automation,
        recording,
        recording_url,
        user,
        contact,
        call_id,
    } = inputs;
    let call_mode = match call.call_mode.as_deref().map(str::trim) {
        Some(mode::RECORDING) => mode::RECORDING,
        Some(mode::RECORDING_AI) => mode::RECORDING_AI,
        Some(mode::AI_ONLY) => mode::AI_ONLY,
        _ => automation.map_or(mode::AI_ONLY, |a| a.call_mode()),
    };

    let mut ai_config = Document::new();
    let instructions = automation
        .and_then(|a| non_blank(a.ai_instructions.as_deref()))
        .or_else(|| {
            // Recording-then-AI: the agent answers with the prompt the
            // recording keeps, built from its message and the business.
            recording
                .filter(|_| call_mode == mode::RECORDING_AI)
                .and_then(|r| non_blank(r.professional_prompt.as_deref()))
        })
        .or_else(|| non_blank(call.notes.as_deref()));
    if let Some(instructions) = instructions {
        ai_config.insert("instructions", instructions);
    }

    if call_mode != mode::AI_ONLY {
        let audio_url = automation
            .and_then(|a| playable(a.voice_audio_url.as_deref()))
            .or_else(|| playable(*recording_url))
            .or_else(|| recording.and_then(|r| playable(r.signed_url.as_deref())))
            .or_else(|| recording.and_then(|r| playable(r.file_path.as_deref())));
        let text = automation
            .filter(|a| a.use_ai_voice == Some(true))
            .and_then(|a| non_blank(a.ai_voice_text.as_deref()))
            .or_else(|| recording.and_then(|r| non_blank(r.original_text.as_deref())));
        match (audio_url, text) {
            (Some(url), _) => {
                ai_config.insert("audioUrl", url);
            }
            (None, Some(text)) => {
                ai_config.insert("messageText", text);
            }
            (None, None) => return Err(ScriptError::NoMessage),
        }
    }
    ai_config.insert("useAIResponse", call_mode != mode::RECORDING);
    if call_mode != mode::RECORDING {
        // The agent speaks: the call opens with the AI disclosure, unless
        // the owner explicitly turned it off (docs/compliance.md).
        if let Some(words) = user.ai_disclosure() {
            ai_config.insert(DISCLOSURE_KEY, words);
        }
    }
    if let Some(voice) = automation
        .and_then(|a| a.ai_voice_settings.as_ref())
        .and_then(|settings| settings.get_str("voiceId").ok())
        .and_then(|v| non_blank(Some(v)))
    {
        ai_config.insert("voiceId", voice);
    }
    ai_config.insert(
        "dynamicVariables",
        dynamic_variables(call, user, *contact, *call_id),
    );
    Ok(Script {
        call_mode,
        ai_config,
    })
}

/// The agent's `{{…}}` variables: who is called, by whom, about what date.
fn dynamic_variables(
    call: &ScheduledCall,
    user: &User,
    contact: Option<&Contact>,
    call_id: ObjectId,
) -> Document {
    let mut variables = doc! { "heyway_call_id": call_id.to_hex() };
    let name = contact.map(|c| c.name.clone()).or_else(|| {
        call.recipients
            .first()
            .and_then(|r| r.get_str("name").ok())
            .map(str::to_string)
    });
    if let Some(name) = name.as_deref().and_then(|n| non_blank(Some(n))) {
        variables.insert("customer_name", name);
    }
    if let Some(date) = call.reference_date.map(DateTime::to_chrono) {
        variables.insert("reference_date", date.format("%Y-%m-%d").to_string());
    }
    if let Some(business) = user.business_name() {
        variables.insert("business_name", business);
    }
    if let Some(notes) = non_blank(call.notes.as_deref()) {
        variables.insert("call_notes", notes);
    }
    variables
}

fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A URL Twilio can fetch: http(s) only (`gs://` paths need signing first).
fn playable(url: Option<&str>) -> Option<String> {
    non_blank(url).filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

/// The recording an automation's `audioMessage` names.
pub fn recording_id(automation: &Automation) -> Option<ObjectId> {
    automation.audio_message.as_ref()?.object_id()
}

#[cfg(test)]
mod tests {
    use mongodb::bson::Bson;

    use super::*;

    fn scheduled(mode: Option<&str>) -> ScheduledCall {
        crate::infra::store::decode(doc! {
            "_id": ObjectId::new(),
            "userId": ObjectId::new(),
            "recipients": [{ "phoneNumber": "+12155550100", "name": "Sam Placeholder" }],
            "notes": "ask about the visit",
            "status": "processing",
            "callMode": mode.map_or(Bson::Null, |m| Bson::String(m.into())),
            "referenceDate": DateTime::parse_rfc3339_str("2026-11-20T00:00:00Z").unwrap(),
        })
        .unwrap()
    }

    fn user() -> User {
        crate::infra::store::decode(doc! { "_id": ObjectId::new(), "name": "Acme Motors" }).unwrap()
    }

    fn automation(extra: Document) -> Automation {
        let mut base = doc! {
            "_id": ObjectId::new(), "userId": ObjectId::new(), "name": "Follow up",
            "isActive": true, "aiInstructions": "Ask how the new car is going",
        };
        base.extend(extra);
        crate::infra::store::decode(base).unwrap()
    }

    #[test]
    fn ai_only_carries_instructions_and_variables() {
        let call = scheduled(None);
        let user = user();
        let automation = automation(doc! {});
        let id = ObjectId::new();
        let script = build(&ScriptInputs {
            call: &call,
            automation: Some(&automation),
            recording: None,
            recording_url: None,
            user: &user,
            contact: None,
            call_id: id,
        })
        .unwrap();
        assert_eq!(script.call_mode, mode::AI_ONLY);
        assert_eq!(
            script.ai_config.get_str("instructions").unwrap(),
            "Ask how the new car is going"
        );
        let vars = script.ai_config.get_document("dynamicVariables").unwrap();
        assert_eq!(vars.get_str("heyway_call_id").unwrap(), id.to_hex());
        assert_eq!(vars.get_str("customer_name").unwrap(), "Sam Placeholder");
        assert_eq!(vars.get_str("reference_date").unwrap(), "2026-11-20");
        assert_eq!(vars.get_str("business_name").unwrap(), "Acme Motors");
        assert!(script.ai_config.get("audioUrl").is_none());
        assert!(script.ai_config.get_bool("useAIResponse").unwrap());
        let disclosure = script.ai_config.get_str(DISCLOSURE_KEY).unwrap();
        assert!(disclosure.contains("Acme Motors"), "{disclosure}");
        assert!(!script.leaves_voicemail());
    }

    #[test]
    fn the_disclosure_follows_the_owners_setting() {
        let call = scheduled(Some("recording-ai"));
        let automation = automation(doc! { "voiceAudioUrl": "https://cdn.test/m.mp3" });
        let build_for = |user: &User| {
            build(&ScriptInputs {
                call: &call,
                automation: Some(&automation),
                recording: None,
                recording_url: None,
                user,
                contact: None,
                call_id: ObjectId::new(),
            })
            .unwrap()
        };
        // Recording, then the agent: covered like an AI-only call.
        let script = build_for(&user());
        assert!(script.ai_config.get_str(DISCLOSURE_KEY).is_ok());
        assert!(script.leaves_voicemail());
        let off: User = crate::infra::store::decode(doc! {
            "_id": ObjectId::new(), "name": "Acme Motors",
            "preferences": { "aiDisclosure": { "enabled": false } },
        })
        .unwrap();
        assert!(build_for(&off).ai_config.get(DISCLOSURE_KEY).is_none());
        let custom: User = crate::infra::store::decode(doc! {
            "_id": ObjectId::new(), "name": "Acme Motors",
            "preferences": { "aiDisclosure": { "enabled": true, "text": "An AI assistant for {business} here." } },
        })
        .unwrap();
        assert_eq!(
            build_for(&custom)
                .ai_config
                .get_str(DISCLOSURE_KEY)
                .unwrap(),
            "An AI assistant for Acme Motors here."
        );
        // A recording alone has no agent to disclose.
        let recorded = scheduled(Some("recording"));
        let script = build(&ScriptInputs {
            call: &recorded,
            automation: Some(&automation),
            recording: None,
            recording_url: None,
            user: &user(),
            contact: None,
            call_id: ObjectId::new(),
        })
        .unwrap();
        assert!(script.ai_config.get(DISCLOSURE_KEY).is_none());
        assert!(script.leaves_voicemail());
    }

    #[test]
    fn recording_modes_need_something_to_play() {
        let call = scheduled(Some("recording"));
        let user = user();
        let with_url = automation(doc! { "voiceAudioUrl": "https://cdn.test/m.mp3" });
        let inputs = |automation| ScriptInputs {
            call: &call,
            automation,
            recording: None,
            recording_url: None,
            user: &user,
            contact: None,
            call_id: ObjectId::new(),
        };
        let script = build(&inputs(Some(&with_url))).unwrap();
        assert_eq!(script.call_mode, mode::RECORDING);
        assert_eq!(
            script.ai_config.get_str("audioUrl").unwrap(),
            "https://cdn.test/m.mp3"
        );
        assert!(!script.ai_config.get_bool("useAIResponse").unwrap());

        let spoken = automation(doc! { "useAIVoice": true, "aiVoiceText": "Hello there" });
        let script = build(&inputs(Some(&spoken))).unwrap();
        assert_eq!(
            script.ai_config.get_str("messageText").unwrap(),
            "Hello there"
        );

        let stored_in_bucket = automation(doc! { "voiceAudioUrl": "gs://bucket/m.mp3" });
        assert_eq!(
            build(&inputs(Some(&stored_in_bucket))),
            Err(ScriptError::NoMessage)
        );
    }

    #[test]
    fn recordings_play_through_their_signed_url_and_lend_their_prompt() {
        let call = scheduled(Some("recording-ai"));
        let user = user();
        let automation = automation(doc! { "aiInstructions": "" });
        let recording: Recording = crate::infra::store::decode(doc! {
            "_id": ObjectId::new(), "userId": ObjectId::new(), "name": "Reminder",
            "filePath": "s3://bucket/recordings/u/r.mp3", "duration": 6,
            "professionalPrompt": "You answer for Acme Motors after the reminder.",
        })
        .unwrap();
        let script = build(&ScriptInputs {
            call: &call,
            automation: Some(&automation),
            recording: Some(&recording),
            recording_url: Some(
                "https://bucket.s3.amazonaws.com/recordings/u/r.mp3?X-Amz-Signature=abc",
            ),
            user: &user,
            contact: None,
            call_id: ObjectId::new(),
        })
        .unwrap();
        assert_eq!(
            script.ai_config.get_str("audioUrl").unwrap(),
            "https://bucket.s3.amazonaws.com/recordings/u/r.mp3?X-Amz-Signature=abc"
        );
        assert_eq!(
            script.ai_config.get_str("instructions").unwrap(),
            "You answer for Acme Motors after the reminder."
        );
    }
}
