//! The TwiML Twilio fetches when a call is answered, from the call's mode
//! and the `aiConfig` the dialer stored (docs/dialing.md):
//!
//! - `recording`: `<Play>` the audio, or `<Say>` the text without one;
//! - `ai-only`: ElevenLabs' `register-call` TwiML, which connects the call
//!   to the agent with this call's variables and overrides;
//! - `recording-ai`: the recording first, then the agent (our verbs go
//!   first inside ElevenLabs' `<Response>`).
//!
//! When the agent cannot be reached (not configured, refused, down) the
//! callee hears a short apology and the call ends; the reason is logged.
//!
//! The agent's modes open with the AI disclosure the dialer stored
//! (`aiConfig.disclosure`, docs/compliance.md), a `<Say>` before anything
//! else. A call with a message that Twilio reports answered by a machine
//! after its greeting (`AnsweredBy` `machine_end_*`, the dialer asked for
//! `DetectMessageEnd`) plays the message once and hangs up: voicemail
//! drop, recorded as `voicemailLeft: true`.

use std::collections::BTreeMap;

use mongodb::bson::{oid::ObjectId, Bson, Document};

use super::missed_reports::conversation_in_twiml;
use super::repo;
use super::status::record_sid;
use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::integrations::elevenlabs::{
    AgentOverride, CallDirection, ClientData, ConfigOverride, ElevenLabsClient, PromptOverride,
    RegisterCall, TtsOverride,
};
use crate::integrations::twilio::twiml;
use crate::model::ai_disclosure::AI_CONFIG_KEY as DISCLOSURE_KEY;

/// The dynamic variable that names our call, so the post-call webhook
/// finds it again.
pub const CALL_ID_VARIABLE: &str = "heyway_call_id";

/// What the call plays, worked out from its document.
#[derive(Clone, Debug, PartialEq)]
pub struct VoicePlan {
    /// TwiML verbs played first (`<Play>` / `<Say>`), if any.
    pub opening: Option<String>,
    /// The agent takes over after the opening.
    pub agent: Option<RegisterCall>,
    /// Why the call cannot be played as planned, when it cannot.
    pub problem: Option<String>,
    /// A machine answered and `opening` is the message to leave: played
    /// once, then the call hangs up.
    pub voicemail: bool,
}

/// Whether Twilio's `AnsweredBy` says a machine answered and its greeting
/// is over (`DetectMessageEnd`'s `machine_end_beep`, `_silence`,
/// `_other`): the moment to leave a message.
pub fn greeting_over(answered_by: Option<&str>) -> bool {
    answered_by.is_some_and(|by| by.trim().to_ascii_lowercase().starts_with("machine_end_"))
}

/// The plan for the stored call `call` (a raw `calls` document), answered
/// by `answered_by` when Twilio's detection ran before the fetch.
pub fn plan(call: &Document, answered_by: Option<&str>) -> VoicePlan {
    let config = call.get_document("aiConfig").ok();
    let text = |key: &str| {
        config
            .and_then(|c| c.get_str(key).ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let message = text("audioUrl")
        .map(twiml::play)
        .or_else(|| text("messageText").map(twiml::say));
    if let (Some(message), true) = (&message, greeting_over(answered_by)) {
        return VoicePlan {
            opening: Some(message.clone()),
            agent: None,
            problem: None,
            voicemail: true,
        };
    }
    let disclosure = text(DISCLOSURE_KEY).map(twiml::say);
    let opening = message;
    let use_ai = config
        .and_then(|c| c.get_bool("useAIResponse").ok())
        .unwrap_or(true);
    let mode = call.get_str("callMode").unwrap_or("ai-only");
    let (opening, wants_agent) = match mode {
        "recording" => (opening, false),
        "recording-ai" => (opening, use_ai),
        _ => (None, true),
    };
    // The agent will speak: the call opens with the disclosure.
    let opening = match (wants_agent, disclosure) {
        (true, Some(disclosure)) => Some(format!("{disclosure}{}", opening.unwrap_or_default())),
        (_, _) => opening,
    };
    let mut plan = VoicePlan {
        opening,
        agent: None,
        problem: None,
        voicemail: false,
    };
    if wants_agent {
        match register_call(call, config) {
            Ok(request) => plan.agent = Some(request),
            Err(problem) => plan.problem = Some(problem),
        }
    } else if plan.opening.is_none() {
        plan.problem = Some("a recording call with neither audioUrl nor messageText".into());
    }
    plan
}

/// The `register-call` request for `call`.
fn register_call(call: &Document, config: Option<&Document>) -> Result<RegisterCall, String> {
    let from_number = call
        .get_str("from")
        .ok()
        .filter(|f| !f.is_empty())
        .ok_or("the call has no caller ID (from)")?
        .to_string();
    let to_number = call
        .get_array("participants")
        .ok()
        .and_then(|p| {
            p.iter()
                .find_map(|p| p.as_document()?.get_str("phoneNumber").ok())
        })
        .filter(|n| !n.is_empty())
        .ok_or("the call has no participant phone number")?
        .to_string();
    let mut dynamic_variables = BTreeMap::new();
    if let Some(variables) = config.and_then(|c| c.get_document("dynamicVariables").ok()) {
        for (name, value) in variables {
            if !matches!(value, Bson::Null) {
                dynamic_variables.insert(name.clone(), value.clone().into_relaxed_extjson());
            }
        }
    }
    if let Ok(id) = call.get_object_id("_id") {
        dynamic_variables
            .entry(CALL_ID_VARIABLE.to_string())
            .or_insert_with(|| serde_json::Value::String(id.to_hex()));
    }
    let text = |key: &str| {
        config
            .and_then(|c| c.get_str(key).ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let prompt = text("instructions").map(|prompt| PromptOverride { prompt });
    let tts = text("voiceId").map(|voice_id| TtsOverride { voice_id });
    let agent = prompt.map(|prompt| AgentOverride {
        prompt: Some(prompt),
        ..AgentOverride::default()
    });
    let conversation_config_override =
        (agent.is_some() || tts.is_some()).then_some(ConfigOverride { agent, tts });
    Ok(RegisterCall {
        from_number,
        to_number,
        direction: CallDirection::Outbound,
        client_data: ClientData {
            dynamic_variables,
            conversation_config_override,
        },
    })
}

/// The TwiML for the call `call_id`, which Twilio knows as `call_sid`;
/// `NotFound` when there is no such call. Never fails because of
/// ElevenLabs: the apology stands in.
///
/// The sid is recorded first when the dialer has not yet: the post-call
/// webhook finds the call by it, and this request comes before the agent
/// is asked to take the call, so the sid is there before any
/// conversation can end.
///
/// `answered_by` is Twilio's `AnsweredBy` on this request (synchronous
/// detection): after a machine's greeting, a call with a message leaves
/// it once and hangs up, recorded as `voicemailLeft`.
pub async fn voice_twiml(
    db: &Db,
    elevenlabs: Option<&ElevenLabsClient>,
    call_id: ObjectId,
    call_sid: Option<&str>,
    answered_by: Option<&str>,
) -> Result<String> {
    let call = repo::find_call(db, call_id)
        .await?
        .ok_or(Error::NotFound { what: "call" })?;
    if let Some(sid) = call_sid.map(str::trim).filter(|sid| !sid.is_empty()) {
        record_sid(db, call_id, &call, sid).await?;
    }
    let plan = plan(&call, answered_by);
    if plan.voicemail {
        let now = chrono::Utc::now();
        if let Some(by) = answered_by {
            repo::record_answered_by(db, call_id, by.trim(), now).await?;
        }
        repo::record_voicemail_left(db, call_id, now).await?;
        tracing::info!(call = %call_id, ?answered_by, "machine answered: leaving the message");
        let message = plan.opening.unwrap_or_default();
        return Ok(twiml::response(&format!("{message}{}", twiml::hangup())));
    }
    if let Some(problem) = &plan.problem {
        tracing::error!(call = %call_id, %problem, "cannot play the call; apologizing");
        return Ok(twiml::apology());
    }
    let opening = plan.opening.unwrap_or_default();
    let Some(request) = plan.agent else {
        return Ok(twiml::response(&opening));
    };
    let Some(client) = elevenlabs else {
        tracing::error!(call = %call_id, "ElevenLabs is not configured; apologizing");
        return Ok(twiml::apology());
    };
    match client.register_call(&request).await {
        Ok(theirs) => match twiml::prepend(&theirs, &opening) {
            Some(twiml) => {
                remember_conversation(db, call_id, client.agent_id(), &theirs).await;
                Ok(twiml)
            }
            None => {
                tracing::error!(call = %call_id, "ElevenLabs' TwiML has no <Response>; apologizing");
                Ok(twiml::apology())
            }
        },
        Err(error) => {
            tracing::error!(call = %call_id, %error, "ElevenLabs register-call failed; apologizing");
            Ok(twiml::apology())
        }
    }
}

/// Records on the call the agent that takes it and the conversation
/// ElevenLabs' TwiML names, if any, so the evaluator can fetch its
/// report if the webhook never comes ([`super::missed_reports`]; without
/// an id it looks the conversation up in the agent's list). A failure is
/// logged: the call goes on.
async fn remember_conversation(db: &Db, call_id: ObjectId, agent_id: &str, theirs: &str) {
    if let Err(error) = repo::record_agent(db, call_id, agent_id).await {
        tracing::warn!(call = %call_id, %error, "agent not recorded");
    }
    let Some(conversation) = conversation_in_twiml(theirs) else {
        return;
    };
    if let Err(error) = repo::record_conversation_id(db, call_id, &conversation).await {
        tracing::warn!(call = %call_id, %error, "conversation id not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;
    use serde_json::json;

    fn call(mode: &str, ai_config: Document) -> Document {
        doc! {
            "_id": ObjectId::parse_str("6a0000000000000000000001").unwrap(),
            "callMode": mode,
            "from": "+12125550100",
            "participants": [{ "phoneNumber": "+12125550123", "name": "Pat Example", "role": "callee" }],
            "aiConfig": ai_config,
        }
    }

    #[test]
    fn recording_plays_or_says() {
        let p = plan(
            &call(
                "recording",
                doc! { "audioUrl": "https://a.test/x.mp3", "messageText": "hi" },
            ),
            None,
        );
        assert_eq!(
            p.opening.as_deref(),
            Some("<Play>https://a.test/x.mp3</Play>")
        );
        assert_eq!(p.agent, None);
        let p = plan(
            &call("recording", doc! { "messageText": "Hi & welcome" }),
            None,
        );
        assert_eq!(p.opening.as_deref(), Some("<Say>Hi &amp; welcome</Say>"));
        let p = plan(&call("recording", doc! {}), None);
        assert!(p.problem.is_some());
    }

    #[test]
    fn ai_only_registers_with_variables_and_overrides() {
        let p = plan(
            &call(
                "ai-only",
                doc! {
                    "instructions": "Ask about the car.",
                    "voiceId": "voice_1",
                    "dynamicVariables": { "customer_name": "Pat", "reference_date": "2026-11-29" },
                    "audioUrl": "https://a.test/x.mp3",
                },
            ),
            None,
        );
        assert_eq!(p.opening, None);
        let agent = p.agent.unwrap();
        assert_eq!(agent.from_number, "+12125550100");
        assert_eq!(agent.to_number, "+12125550123");
        assert_eq!(
            serde_json::to_value(&agent.client_data).unwrap(),
            json!({
                "dynamic_variables": {
                    "customer_name": "Pat",
                    "reference_date": "2026-11-29",
                    "heyway_call_id": "6a0000000000000000000001",
                },
                "conversation_config_override": {
                    "agent": { "prompt": { "prompt": "Ask about the car." } },
                    "tts": { "voice_id": "voice_1" },
                },
            })
        );
    }

    #[test]
    fn recording_ai_plays_then_registers() {
        let p = plan(
            &call(
                "recording-ai",
                doc! { "audioUrl": "https://a.test/x.mp3", "useAIResponse": true },
            ),
            None,
        );
        assert!(p.opening.is_some());
        assert!(p.agent.is_some());
        let p = plan(
            &call(
                "recording-ai",
                doc! { "audioUrl": "https://a.test/x.mp3", "useAIResponse": false },
            ),
            None,
        );
        assert!(p.agent.is_none());
        let mut no_from = call("ai-only", doc! {});
        no_from.remove("from");
        assert!(plan(&no_from, None).problem.is_some());
    }

    #[test]
    fn ai_calls_open_with_the_disclosure() {
        let words = "Hello, this is an automated assistant calling for Pine & Co.";
        let p = plan(&call("ai-only", doc! { "disclosure": words }), None);
        assert_eq!(
            p.opening.as_deref(),
            Some("<Say>Hello, this is an automated assistant calling for Pine &amp; Co.</Say>")
        );
        assert!(p.agent.is_some());
        // Recording, then the agent: the disclosure comes first.
        let p = plan(
            &call(
                "recording-ai",
                doc! { "audioUrl": "https://a.test/x.mp3", "useAIResponse": true, "disclosure": words },
            ),
            Some("human"),
        );
        let opening = p.opening.unwrap();
        assert!(opening.starts_with("<Say>Hello"), "{opening}");
        assert!(
            opening.ends_with("<Play>https://a.test/x.mp3</Play>"),
            "{opening}"
        );
        // No agent, nothing to disclose.
        let p = plan(
            &call(
                "recording",
                doc! { "audioUrl": "https://a.test/x.mp3", "disclosure": words },
            ),
            None,
        );
        assert_eq!(
            p.opening.as_deref(),
            Some("<Play>https://a.test/x.mp3</Play>")
        );
    }

    #[test]
    fn a_machine_after_its_greeting_gets_the_message_once() {
        for by in [
            "machine_end_beep",
            "machine_end_silence",
            "machine_end_other",
        ] {
            let p = plan(
                &call(
                    "recording-ai",
                    doc! { "messageText": "Your car is ready.", "useAIResponse": true, "disclosure": "AI here" },
                ),
                Some(by),
            );
            assert!(p.voicemail, "{by}");
            assert_eq!(p.opening.as_deref(), Some("<Say>Your car is ready.</Say>"));
            assert!(p.agent.is_none(), "{by}");
        }
        for by in [
            None,
            Some("human"),
            Some("unknown"),
            Some("fax"),
            Some("machine_start"),
        ] {
            let p = plan(
                &call("recording", doc! { "messageText": "Your car is ready." }),
                by,
            );
            assert!(!p.voicemail, "{by:?}");
        }
        // Nothing to leave: the call goes on as planned.
        let p = plan(&call("ai-only", doc! {}), Some("machine_end_beep"));
        assert!(!p.voicemail);
        assert!(p.agent.is_some());
    }
}
