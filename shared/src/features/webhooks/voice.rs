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
}

/// The plan for the stored call `call` (a raw `calls` document).
pub fn plan(call: &Document) -> VoicePlan {
    let config = call.get_document("aiConfig").ok();
    let text = |key: &str| {
        config
            .and_then(|c| c.get_str(key).ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let opening = text("audioUrl")
        .map(twiml::play)
        .or_else(|| text("messageText").map(twiml::say));
    let use_ai = config
        .and_then(|c| c.get_bool("useAIResponse").ok())
        .unwrap_or(true);
    let mode = call.get_str("callMode").unwrap_or("ai-only");
    let (opening, wants_agent) = match mode {
        "recording" => (opening, false),
        "recording-ai" => (opening, use_ai),
        _ => (None, true),
    };
    let mut plan = VoicePlan {
        opening,
        agent: None,
        problem: None,
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
pub async fn voice_twiml(
    db: &Db,
    elevenlabs: Option<&ElevenLabsClient>,
    call_id: ObjectId,
    call_sid: Option<&str>,
) -> Result<String> {
    let call = repo::find_call(db, call_id)
        .await?
        .ok_or(Error::NotFound { what: "call" })?;
    if let Some(sid) = call_sid.map(str::trim).filter(|sid| !sid.is_empty()) {
        record_sid(db, call_id, &call, sid).await?;
    }
    let plan = plan(&call);
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
                remember_conversation(db, call_id, &theirs).await;
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

/// Records the conversation ElevenLabs' TwiML names on the call, so
/// the evaluator can fetch its report if the webhook never comes
/// ([`super::missed_reports`]). A failure is logged: the call goes on.
async fn remember_conversation(db: &Db, call_id: ObjectId, theirs: &str) {
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
        let p = plan(&call(
            "recording",
            doc! { "audioUrl": "https://a.test/x.mp3", "messageText": "hi" },
        ));
        assert_eq!(
            p.opening.as_deref(),
            Some("<Play>https://a.test/x.mp3</Play>")
        );
        assert_eq!(p.agent, None);
        let p = plan(&call("recording", doc! { "messageText": "Hi & welcome" }));
        assert_eq!(p.opening.as_deref(), Some("<Say>Hi &amp; welcome</Say>"));
        let p = plan(&call("recording", doc! {}));
        assert!(p.problem.is_some());
    }

    #[test]
    fn ai_only_registers_with_variables_and_overrides() {
        let p = plan(&call(
            "ai-only",
            doc! {
                "instructions": "Ask about the car.",
                "voiceId": "voice_1",
                "dynamicVariables": { "customer_name": "Pat", "reference_date": "2026-11-29" },
                "audioUrl": "https://a.test/x.mp3",
            },
        ));
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
        let p = plan(&call(
            "recording-ai",
            doc! { "audioUrl": "https://a.test/x.mp3", "useAIResponse": true },
        ));
        assert!(p.opening.is_some());
        assert!(p.agent.is_some());
        let p = plan(&call(
            "recording-ai",
            doc! { "audioUrl": "https://a.test/x.mp3", "useAIResponse": false },
        ));
        assert!(p.agent.is_none());
        let mut no_from = call("ai-only", doc! {});
        no_from.remove("from");
        assert!(plan(&no_from).problem.is_some());
    }
}
