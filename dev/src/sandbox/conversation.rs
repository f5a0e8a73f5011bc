//! The AI side of a sandbox call: what ElevenLabs remembers from
//! `register-call` / `outbound-call`, the short conversation its agent
//! "holds" with the contact, and the post-call webhook that reports it.
//!
//! The webhook follows ElevenLabs' post-call format: `{type,
//! event_timestamp, data}` with `data` shaped as `GET
//! /v1/convai/conversations/{id}` (transcript, metadata, analysis,
//! conversation_initiation_client_data). It is sent once the call has
//! ended and been analysed, so after Twilio's `completed` callback.

use serde_json::{json, Map, Value};

use super::outcome::Outcome;
use super::settings::AGENT_NUMBER;

/// A conversation ElevenLabs was asked to hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    /// `conv_…`.
    pub id: String,
    pub agent_id: String,
    /// Our caller ID (register-call) or the agent's number (outbound-call).
    pub from_number: String,
    pub to_number: String,
    /// `conversation_initiation_client_data` as sent.
    pub client_data: Value,
    /// When ElevenLabs was asked (unix seconds): the list's start time
    /// until the call's own is known.
    pub registered_unix_secs: i64,
    /// The opaque stream `session` of a TwiML that named no conversation.
    pub session: Option<String>,
}

impl Conversation {
    fn variable(&self, name: &str) -> Option<String> {
        self.client_data
            .get("dynamic_variables")?
            .get(name)
            .and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }

    fn agent_override(&self, field: &str) -> Option<&Value> {
        self.client_data
            .get("conversation_config_override")?
            .get("agent")?
            .get(field)
    }

    /// The dynamic variables as sent (an empty object when none).
    pub fn dynamic_variables(&self) -> Value {
        self.client_data
            .get("dynamic_variables")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// The contact's name, from the dynamic variables.
    pub fn contact_name(&self) -> Option<String> {
        ["customer_name", "contact_name", "name"]
            .iter()
            .find_map(|name| self.variable(name))
    }

    /// What the agent was told to do: the prompt override, else an
    /// `instructions` variable.
    pub fn instructions(&self) -> Option<String> {
        self.agent_override("prompt")
            .and_then(|p| p.get("prompt"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .or_else(|| self.variable("instructions"))
            .or_else(|| self.variable("ai_instructions"))
    }

    fn first_message(&self) -> Option<String> {
        self.agent_override("first_message")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
    }
}

/// One turn of the transcript.
#[derive(Clone, Debug, PartialEq)]
pub struct Turn {
    /// `agent` or `user`.
    pub role: &'static str,
    pub message: String,
    pub time_in_call_secs: u64,
}

/// The reason for the call in one sentence, from the instructions.
fn purpose(instructions: Option<&str>) -> String {
    let Some(text) = instructions else {
        return "I'm calling to follow up with you.".to_string();
    };
    let first = text
        .split_inclusive(['.', '!', '?', '\n'])
        .next()
        .unwrap_or(text)
        .trim();
    let short: String = first.chars().take(200).collect();
    let short = short.trim_end_matches(['.', '!', '?', '\n']);
    format!("I'm calling about this: {short}.")
}

/// The conversation the agent holds when `outcome` picks up.
pub fn transcript(conversation: &Conversation, outcome: Outcome) -> Vec<Turn> {
    let name = conversation.contact_name();
    let hello_name = name.as_deref().unwrap_or("there");
    let business = conversation
        .variable("business_name")
        .unwrap_or_else(|| "your business contact".to_string());
    let greeting = conversation.first_message().unwrap_or_else(|| {
        format!("Hi {hello_name}, this is the virtual assistant calling on behalf of {business}.")
    });
    let purpose = purpose(conversation.instructions().as_deref());
    let turn = |role, message: String, time_in_call_secs| Turn {
        role,
        message,
        time_in_call_secs,
    };
    match outcome {
        Outcome::OptOut => vec![
            turn("agent", greeting, 0),
            turn("agent", purpose, 4),
            turn(
                "user",
                "Please stop calling me. Take me off your list and don't call me again.".into(),
                9,
            ),
            turn(
                "agent",
                format!(
                    "I understand, {hello_name}. I've noted that you don't want any more calls from us. Sorry for the trouble, goodbye."
                ),
                13,
            ),
        ],
        Outcome::Voicemail => vec![
            turn("agent", greeting, 0),
            turn(
                "agent",
                format!("{purpose} Please call us back when you have a moment. Thank you!"),
                4,
            ),
        ],
        _ => vec![
            turn("agent", greeting, 0),
            turn("agent", purpose, 4),
            turn(
                "user",
                "Oh, thanks for letting me know. Could someone call me back later today with the details?".into(),
                10,
            ),
            turn(
                "agent",
                "Of course. I'll ask the team to call you back this afternoon. Is this number the best one to reach you?".into(),
                15,
            ),
            turn("user", "Yes, this number is fine. Thank you!".into(), 21),
            turn(
                "agent",
                format!("You're welcome, {hello_name}. Have a great day!"),
                24,
            ),
        ],
    }
}

/// How long the conversation lasts, in seconds.
pub fn duration_secs(turns: &[Turn]) -> u64 {
    turns.last().map_or(0, |t| t.time_in_call_secs + 4)
}

fn collected(id: &str, value: Value, rationale: &str) -> (String, Value) {
    (
        id.to_string(),
        json!({"data_collection_id": id, "value": value, "rationale": rationale}),
    )
}

/// The agent's analysis of the conversation: ElevenLabs' `analysis`
/// object, with the data collection ids HeyWay's agent defines
/// (`category`, `follow_up_needed`, `sentiment`, `opt_out`).
pub fn analysis(conversation: &Conversation, outcome: Outcome) -> Value {
    let name = conversation
        .contact_name()
        .unwrap_or_else(|| "The contact".to_string());
    let (successful, summary, category, follow_up, sentiment, opt_out) = match outcome {
        Outcome::OptOut => (
            "failure",
            format!("{name} asked not to be called again. The agent apologised and agreed to stop calling."),
            "opt-out",
            false,
            -0.6,
            true,
        ),
        Outcome::Voicemail => (
            "unknown",
            format!("The call reached {name}'s voicemail; the agent left a message asking for a call back."),
            "voicemail",
            true,
            0.0,
            false,
        ),
        _ => (
            "success",
            format!("The agent explained the reason for the call to {name}, who was pleased and asked for a call back later today with the details."),
            "positive",
            true,
            0.8,
            false,
        ),
    };
    let criteria_result = if successful == "failure" {
        "failure"
    } else {
        successful
    };
    let data: Map<String, Value> = [
        collected(
            "category",
            json!(category),
            "How the contact responded to the call.",
        ),
        collected(
            "follow_up_needed",
            json!(follow_up),
            if follow_up {
                "The contact expects to hear from the business again."
            } else {
                "Nothing is left for the business to do."
            },
        ),
        collected(
            "sentiment",
            json!(sentiment),
            "The contact's tone, from -1 (negative) to 1 (positive).",
        ),
        collected(
            "opt_out",
            json!(opt_out),
            if opt_out {
                "The contact asked not to be called again."
            } else {
                "The contact did not ask to stop the calls."
            },
        ),
    ]
    .into_iter()
    .collect();
    json!({
        "call_successful": successful,
        "transcript_summary": summary,
        "evaluation_criteria_results": {
            "goal_achieved": {
                "criteria_id": "goal_achieved",
                "result": criteria_result,
                "rationale": "Whether the agent delivered the message the business asked for."
            }
        },
        "data_collection_results": data,
    })
}

/// The call a conversation took place on, for `metadata.phone_call`.
#[derive(Clone, Debug)]
pub struct PhoneCall<'a> {
    pub call_sid: &'a str,
    /// The contact.
    pub external_number: &'a str,
    /// The number the agent spoke from.
    pub agent_number: &'a str,
    pub start_time_unix_secs: i64,
}

/// The `post_call_transcription` webhook body.
pub fn post_call_transcription(
    conversation: &Conversation,
    outcome: Outcome,
    call: &PhoneCall<'_>,
    event_timestamp: i64,
) -> Value {
    let turns = transcript(conversation, outcome);
    let duration = duration_secs(&turns);
    let transcript: Vec<Value> = turns
        .iter()
        .map(|t| {
            json!({
                "role": t.role,
                "message": t.message,
                "time_in_call_secs": t.time_in_call_secs,
                "tool_calls": [],
                "tool_results": [],
                "feedback": null,
            })
        })
        .collect();
    let termination_reason = match outcome {
        Outcome::OptOut => "The user asked to end the call.",
        Outcome::Voicemail => "Voicemail detected, message left.",
        _ => "The agent ended the call.",
    };
    let agent_number = if call.agent_number.is_empty() {
        AGENT_NUMBER
    } else {
        call.agent_number
    };
    json!({
        "type": "post_call_transcription",
        "event_timestamp": event_timestamp,
        "data": {
            "agent_id": conversation.agent_id,
            "conversation_id": conversation.id,
            "status": "done",
            "transcript": transcript,
            "metadata": {
                "start_time_unix_secs": call.start_time_unix_secs,
                "call_duration_secs": duration,
                "cost": duration * 10,
                "termination_reason": termination_reason,
                "phone_call": {
                    "type": "twilio",
                    "call_sid": call.call_sid,
                    "external_number": call.external_number,
                    "agent_number": agent_number,
                    "direction": "outbound",
                },
            },
            "analysis": analysis(conversation, outcome),
            "conversation_initiation_client_data": {
                "dynamic_variables": conversation.dynamic_variables(),
            },
        },
    })
}

/// The `call_initiation_failure` webhook body ElevenLabs sends when an
/// `outbound-call` it placed was not answered.
pub fn call_initiation_failure(
    conversation: &Conversation,
    call_sid: &str,
    call_status: &str,
    event_timestamp: i64,
) -> Value {
    json!({
        "type": "call_initiation_failure",
        "event_timestamp": event_timestamp,
        "data": {
            "agent_id": conversation.agent_id,
            "conversation_id": conversation.id,
            "failure_reason": call_status,
            "metadata": {
                "type": "twilio",
                "body": {
                    "CallSid": call_sid,
                    "CallStatus": call_status,
                    "To": conversation.to_number,
                    "From": conversation.from_number,
                    "Direction": "outbound-api",
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation() -> Conversation {
        Conversation {
            id: "conv_1".into(),
            agent_id: "agent_1".into(),
            from_number: "+15005550006".into(),
            to_number: "+12125550100".into(),
            client_data: json!({
                "dynamic_variables": {"customer_name": "Ada Park", "business_name": "Park Motors"},
                "conversation_config_override": {"agent": {"prompt": {"prompt": "Tell them their car is ready for pickup. Be brief."}}}
            }),
            registered_unix_secs: 1_700_000_000,
            session: None,
        }
    }

    #[test]
    fn transcript_uses_the_name_and_the_instructions() {
        let turns = transcript(&conversation(), Outcome::Answered);
        assert!(turns[0].message.contains("Ada Park"), "{turns:?}");
        assert!(turns[0].message.contains("Park Motors"));
        assert_eq!(
            turns[1].message,
            "I'm calling about this: Tell them their car is ready for pickup."
        );
        assert!(turns.iter().any(|t| t.role == "user"));
        let times: Vec<_> = turns.iter().map(|t| t.time_in_call_secs).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(duration_secs(&turns), 28);
    }

    #[test]
    fn opt_out_is_in_the_words_and_the_analysis() {
        let turns = transcript(&conversation(), Outcome::OptOut);
        assert!(turns
            .iter()
            .any(|t| t.role == "user" && t.message.contains("don't call me again")));
        let analysis = analysis(&conversation(), Outcome::OptOut);
        let data = &analysis["data_collection_results"];
        assert_eq!(data["opt_out"]["value"], true);
        assert_eq!(data["category"]["value"], "opt-out");
        assert_eq!(data["follow_up_needed"]["value"], false);
        assert_eq!(data["opt_out"]["data_collection_id"], "opt_out");
    }

    #[test]
    fn webhook_body_has_the_documented_shape() {
        let call = PhoneCall {
            call_sid: "CA1",
            external_number: "+12125550100",
            agent_number: "+15005550006",
            start_time_unix_secs: 1_700_000_000,
        };
        let body =
            post_call_transcription(&conversation(), Outcome::Answered, &call, 1_700_000_100);
        assert_eq!(body["type"], "post_call_transcription");
        let data = &body["data"];
        assert_eq!(data["status"], "done");
        assert_eq!(data["conversation_id"], "conv_1");
        assert_eq!(data["metadata"]["phone_call"]["call_sid"], "CA1");
        assert_eq!(data["metadata"]["call_duration_secs"], 28);
        assert_eq!(data["analysis"]["call_successful"], "success");
        assert_eq!(
            data["conversation_initiation_client_data"]["dynamic_variables"]["customer_name"],
            "Ada Park"
        );
        assert_eq!(data["transcript"][0]["role"], "agent");
    }

    #[test]
    fn no_instructions_or_name_still_makes_sense() {
        let bare = Conversation {
            client_data: json!({}),
            ..conversation()
        };
        let turns = transcript(&bare, Outcome::Answered);
        assert!(turns[0].message.starts_with("Hi there"));
        assert_eq!(turns[1].message, "I'm calling to follow up with you.");
        assert_eq!(bare.dynamic_variables(), json!({}));
    }
}
