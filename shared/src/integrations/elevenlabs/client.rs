//! The two ways an AI conversation joins a phone call.
//!
//! - `register-call`: we place the call through Twilio ourselves (from the
//!   user's verified caller ID, with our status callbacks) and, when it is
//!   answered, hand Twilio the TwiML ElevenLabs answers here, which
//!   connects the call to the agent.
//! - `outbound-call`: ElevenLabs dials through the Twilio number imported
//!   into it; its caller ID is that number and Twilio's callbacks go to
//!   ElevenLabs, not to us.
//!
//! Per-call overrides only work when the agent's security settings allow
//! them; otherwise ElevenLabs fails the call.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::infra::config::ElevenLabsConfig;

/// One ElevenLabs agent, reached with an API key.
#[derive(Clone, Debug)]
pub struct ElevenLabsClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    agent_id: String,
}

/// Which conversations `GET /v1/convai/conversations` lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationsQuery {
    pub agent_id: String,
    /// `call_start_after_unix` / `call_start_before_unix`, in seconds.
    pub started_after_unix: i64,
    pub started_before_unix: i64,
    /// At most 100 (ElevenLabs' limit).
    pub page_size: u32,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page of conversations.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ConversationsPage {
    #[serde(default)]
    pub conversations: Vec<ConversationSummary>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// What the list tells of one conversation (the fields we use).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ConversationSummary {
    pub conversation_id: String,
    #[serde(default)]
    pub start_time_unix_secs: i64,
    #[serde(default)]
    pub status: Option<String>,
}

/// Which way a registered call goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    Inbound,
    /// A call we placed to a contact.
    #[default]
    Outbound,
}

/// Personalises one conversation: variables the agent's prompt refers to
/// as `{{name}}`, and overrides of the agent's settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientData {
    pub dynamic_variables: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_config_override: Option<ConfigOverride>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConfigOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentOverride>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tts: Option<TtsOverride>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AgentOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptOverride>,
    /// ISO 639-1, `en`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromptOverride {
    pub prompt: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TtsOverride {
    pub voice_id: String,
}

/// A call we placed through Twilio that the agent should take over.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterCall {
    /// The caller ID the call leaves from, E.164.
    pub from_number: String,
    /// The contact, E.164.
    pub to_number: String,
    pub direction: CallDirection,
    pub client_data: ClientData,
}

/// A call ElevenLabs places itself from a number imported into it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundCall {
    /// ElevenLabs' id of the imported Twilio number.
    pub agent_phone_number_id: String,
    /// The contact, E.164.
    pub to_number: String,
    pub client_data: ClientData,
    pub call_recording_enabled: Option<bool>,
    pub ringing_timeout_secs: Option<u32>,
}

/// What `outbound-call` answered.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OutboundCallPlaced {
    pub success: bool,
    #[serde(default)]
    pub message: String,
    pub conversation_id: Option<String>,
    /// Twilio's `CA…`; camelCase in ElevenLabs' answer.
    #[serde(rename = "callSid")]
    pub call_sid: Option<String>,
}

/// A request ElevenLabs did not carry out.
#[derive(Debug, thiserror::Error)]
pub enum ElevenLabsError {
    /// ElevenLabs failed (5xx), was rate limited (429) or unreachable;
    /// the same request may work later.
    #[error("ElevenLabs is unavailable: {0}")]
    Transient(String),
    /// ElevenLabs refused the request (422 validation, 401 key, or
    /// `success: false`); sending it again unchanged will not help.
    #[error("ElevenLabs refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// ElevenLabs accepted but answered unreadably: an outbound call may
    /// exist, so do not retry blindly.
    #[error("ElevenLabs answered unreadably: {0}")]
    Unconfirmed(String),
}

impl ElevenLabsError {
    /// Whether the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl From<ElevenLabsError> for crate::Error {
    fn from(error: ElevenLabsError) -> Self {
        crate::Error::Unavailable(error.to_string())
    }
}

#[derive(Serialize)]
struct RegisterCallBody<'a> {
    agent_id: &'a str,
    from_number: &'a str,
    to_number: &'a str,
    direction: CallDirection,
    conversation_initiation_client_data: &'a ClientData,
}

#[derive(Serialize)]
struct OutboundCallBody<'a> {
    agent_id: &'a str,
    agent_phone_number_id: &'a str,
    to_number: &'a str,
    conversation_initiation_client_data: &'a ClientData,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_recording_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    telephony_call_config: Option<TelephonyCallConfig>,
}

#[derive(Serialize)]
struct TelephonyCallConfig {
    ringing_timeout_secs: u32,
}

impl ElevenLabsClient {
    /// The client, when the API key and agent are configured.
    pub fn from_config(http: reqwest::Client, config: &ElevenLabsConfig) -> Option<Self> {
        Some(Self {
            http,
            base_url: config.base_url.trim_end_matches('/').to_string(),
            api_key: config.api_key.clone()?,
            agent_id: config.agent_id.clone()?,
        })
    }

    /// The agent every call talks to.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// Registers a call we placed; answers the TwiML that connects it to
    /// the agent, for our TwiML webhook to return to Twilio.
    pub async fn register_call(&self, call: &RegisterCall) -> Result<String, ElevenLabsError> {
        let body = RegisterCallBody {
            agent_id: &self.agent_id,
            from_number: &call.from_number,
            to_number: &call.to_number,
            direction: call.direction,
            conversation_initiation_client_data: &call.client_data,
        };
        let response = self.post("/v1/convai/twilio/register-call", &body).await?;
        let text = response
            .text()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("reading the TwiML: {e}")))?;
        twiml_from(&text)
    }

    /// Asks ElevenLabs to place the call itself.
    pub async fn outbound_call(
        &self,
        call: &OutboundCall,
    ) -> Result<OutboundCallPlaced, ElevenLabsError> {
        let body = OutboundCallBody {
            agent_id: &self.agent_id,
            agent_phone_number_id: &call.agent_phone_number_id,
            to_number: &call.to_number,
            conversation_initiation_client_data: &call.client_data,
            call_recording_enabled: call.call_recording_enabled,
            telephony_call_config: call.ringing_timeout_secs.map(|ringing_timeout_secs| {
                TelephonyCallConfig {
                    ringing_timeout_secs,
                }
            }),
        };
        let response = self.post("/v1/convai/twilio/outbound-call", &body).await?;
        let placed: OutboundCallPlaced = response
            .json()
            .await
            .map_err(|e| ElevenLabsError::Unconfirmed(e.to_string()))?;
        if placed.success {
            Ok(placed)
        } else {
            Err(ElevenLabsError::Refused {
                status: 200,
                message: placed.message,
            })
        }
    }

    /// `GET /v1/convai/conversations/{id}`: the conversation as ElevenLabs
    /// keeps it (`status`, `transcript`, `metadata`, `analysis`,
    /// `conversation_initiation_client_data`: the post-call webhook's
    /// `data`); `None` when ElevenLabs does not know it (404).
    pub async fn conversation(
        &self,
        id: &str,
    ) -> Result<Option<serde_json::Value>, ElevenLabsError> {
        let path: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let response = self
            .http
            .get(format!("{}/v1/convai/conversations/{path}", self.base_url))
            .header("xi-api-key", &self.api_key)
            .send()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("unreachable: {e}")))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = Self::checked(response, "/v1/convai/conversations").await?;
        let conversation: serde_json::Value = response
            .json()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("reading the conversation: {e}")))?;
        if conversation.is_object() {
            Ok(Some(conversation))
        } else {
            Err(ElevenLabsError::Transient(
                "the conversation is not a JSON object".into(),
            ))
        }
    }

    /// `GET /v1/convai/conversations`: one page of the conversations of
    /// `query.agent_id` that started within `query`'s window, newest first
    /// (ElevenLabs' `GetConversationsPageResponseModel`: `conversations`,
    /// `has_more`, `next_cursor`).
    pub async fn conversations_page(
        &self,
        query: &ConversationsQuery,
    ) -> Result<ConversationsPage, ElevenLabsError> {
        let mut params = vec![
            ("agent_id", query.agent_id.clone()),
            (
                "call_start_after_unix",
                query.started_after_unix.to_string(),
            ),
            (
                "call_start_before_unix",
                query.started_before_unix.to_string(),
            ),
            ("page_size", query.page_size.to_string()),
        ];
        if let Some(cursor) = &query.cursor {
            params.push(("cursor", cursor.clone()));
        }
        let response = self
            .http
            .get(format!("{}/v1/convai/conversations", self.base_url))
            .query(&params)
            .header("xi-api-key", &self.api_key)
            .send()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("unreachable: {e}")))?;
        let response = Self::checked(response, "/v1/convai/conversations").await?;
        response
            .json()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("reading the conversations: {e}")))
    }

    /// POSTs `body` as JSON; a non-2xx answer becomes an error.
    async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<reqwest::Response, ElevenLabsError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("xi-api-key", &self.api_key)
            .json(body)
            .send()
            .await
            .map_err(|e| ElevenLabsError::Transient(format!("unreachable: {e}")))?;
        Self::checked(response, path).await
    }

    /// `response` when 2xx, else the error its status means.
    async fn checked(
        response: reqwest::Response,
        path: &str,
    ) -> Result<reqwest::Response, ElevenLabsError> {
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let message = response.text().await.unwrap_or_default();
        tracing::warn!(status, %message, path, "ElevenLabs refused a request");
        if status >= 500 || status == 429 {
            Err(ElevenLabsError::Transient(format!(
                "HTTP {status}: {message}"
            )))
        } else {
            Err(ElevenLabsError::Refused { status, message })
        }
    }
}

/// The TwiML in a `register-call` answer: XML as is, or a JSON string
/// holding it, depending on how the answer was encoded.
fn twiml_from(text: &str) -> Result<String, ElevenLabsError> {
    let trimmed = text.trim();
    let twiml = if trimmed.starts_with('"') {
        serde_json::from_str::<String>(trimmed)
            .map_err(|e| ElevenLabsError::Unconfirmed(format!("TwiML string: {e}")))?
    } else {
        trimmed.to_string()
    };
    if twiml.trim_start().starts_with('<') {
        Ok(twiml)
    } else {
        Err(ElevenLabsError::Unconfirmed(format!(
            "expected TwiML, got {:?}",
            twiml.chars().take(80).collect::<String>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_data_leaves_out_what_is_not_overridden() {
        let mut data = ClientData::default();
        data.dynamic_variables
            .insert("customer_name".into(), json!("Ada"));
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            json!({"dynamic_variables": {"customer_name": "Ada"}})
        );
        data.conversation_config_override = Some(ConfigOverride {
            agent: Some(AgentOverride {
                first_message: Some("Hi Ada".into()),
                prompt: Some(PromptOverride {
                    prompt: "Ask about the car".into(),
                }),
                language: None,
            }),
            tts: Some(TtsOverride {
                voice_id: "voice".into(),
            }),
        });
        assert_eq!(
            serde_json::to_value(&data).unwrap()["conversation_config_override"],
            json!({"agent": {"first_message": "Hi Ada", "prompt": {"prompt": "Ask about the car"}}, "tts": {"voice_id": "voice"}})
        );
    }

    #[test]
    fn twiml_is_read_raw_or_from_a_json_string() {
        let xml = "<?xml version=\"1.0\"?><Response><Connect/></Response>";
        assert_eq!(twiml_from(xml).unwrap(), xml);
        assert_eq!(
            twiml_from(&serde_json::to_string(xml).unwrap()).unwrap(),
            xml
        );
        assert!(twiml_from("{\"detail\":\"x\"}").is_err());
    }

    #[test]
    fn outbound_answer_reads_camel_case_call_sid() {
        let placed: OutboundCallPlaced = serde_json::from_value(json!({
            "success": true, "message": "ok", "conversation_id": "conv_1", "callSid": "CA1"
        }))
        .unwrap();
        assert_eq!(placed.call_sid.as_deref(), Some("CA1"));
        assert_eq!(placed.conversation_id.as_deref(), Some("conv_1"));
    }
}
