//! ElevenLabs' Twilio integration as it answers: `register-call` (TwiML
//! that connects a call we placed to the agent) and `outbound-call`
//! (ElevenLabs places the call itself), and `GET conversations/{id}` (a
//! conversation and, once analysed, its report). All check `xi-api-key`;
//! the first two the agent too, and answer validation errors with 422
//! like FastAPI does.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::conversation::Conversation;
use super::outcome;
use super::play;
use super::settings::AGENT_NUMBER;
use super::twiml;
use super::{random_id, Sandbox};

/// A refused request, answered as ElevenLabs (FastAPI) does.
#[derive(Debug)]
enum Rejection {
    /// `{"detail": {"status", "message"}}`.
    Detail {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// 422 `{"detail": [{"loc", "msg", "type"}]}`.
    Validation { field: String, message: String },
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Detail {
                status,
                code,
                message,
            } => (
                status,
                Json(json!({"detail": {"status": code, "message": message}})),
            )
                .into_response(),
            Self::Validation { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]})),
            )
                .into_response(),
        }
    }
}

fn detail(status: StatusCode, code: &'static str, message: &str) -> Rejection {
    Rejection::Detail {
        status,
        code,
        message: message.to_string(),
    }
}

fn validation(field: &str, message: &str) -> Rejection {
    Rejection::Validation {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// The `xi-api-key` check.
fn key_checked(sandbox: &Sandbox, headers: &HeaderMap) -> Result<(), Rejection> {
    let key = headers
        .get("xi-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if bool::from(subtle::ConstantTimeEq::ct_eq(
        key.as_bytes(),
        sandbox.settings().elevenlabs_api_key.as_bytes(),
    )) {
        Ok(())
    } else {
        Err(detail(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Invalid API key",
        ))
    }
}

/// The JSON body after the key and agent checks.
fn authorised(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Value, Rejection> {
    let settings = sandbox.settings();
    key_checked(sandbox, headers)?;
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| validation("body", &format!("JSON decode error: {e}")))?;
    if !body.is_object() {
        return Err(validation("body", "Input should be an object"));
    }
    let agent_id = required(&body, "agent_id")?;
    if agent_id != settings.agent_id {
        return Err(detail(
            StatusCode::NOT_FOUND,
            "agent_not_found",
            &format!("Agent {agent_id} was not found"),
        ));
    }
    Ok(body)
}

fn required<'a>(body: &'a Value, field: &str) -> Result<&'a str, Rejection> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| validation(field, "Field required"))
}

fn client_data(body: &Value) -> Result<Value, Rejection> {
    match body.get("conversation_initiation_client_data") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(data @ Value::Object(_)) => {
            if data
                .get("dynamic_variables")
                .is_some_and(|v| !v.is_object() && !v.is_null())
            {
                return Err(validation(
                    "conversation_initiation_client_data",
                    "dynamic_variables should be an object",
                ));
            }
            Ok(data.clone())
        }
        Some(_) => Err(validation(
            "conversation_initiation_client_data",
            "Input should be an object",
        )),
    }
}

fn e164(body: &Value, field: &str) -> Result<String, Rejection> {
    let number = required(body, field)?;
    if outcome::is_e164(number) {
        Ok(number.to_string())
    } else {
        Err(validation(field, "Invalid phone number: use E.164"))
    }
}

pub(super) async fn register_call(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorised(&sandbox, &headers, &body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let fields = (|| -> Result<_, Rejection> {
        let from_number = e164(&body, "from_number")?;
        let to_number = e164(&body, "to_number")?;
        if let Some(direction) = body.get("direction").and_then(Value::as_str) {
            if direction != "inbound" && direction != "outbound" {
                return Err(validation(
                    "direction",
                    "Input should be 'inbound' or 'outbound'",
                ));
            }
        }
        Ok((from_number, to_number, client_data(&body)?))
    })();
    let (from_number, to_number, client_data) = match fields {
        Ok(fields) => fields,
        Err(rejection) => return rejection.into_response(),
    };
    let conversation = Conversation {
        id: random_id("conv_", 26),
        agent_id: sandbox.settings().agent_id.clone(),
        from_number,
        to_number,
        client_data,
    };
    let twiml = twiml::connect_to_agent(&conversation.id, &conversation.dynamic_variables());
    tracing::info!(conversation = %conversation.id, to = %conversation.to_number, "sandbox: ElevenLabs call registered");
    sandbox.remember(conversation);
    (
        StatusCode::OK,
        [("content-type", "application/xml; charset=utf-8")],
        twiml,
    )
        .into_response()
}

pub(super) async fn outbound_call(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match authorised(&sandbox, &headers, &body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let fields = (|| -> Result<_, Rejection> {
        required(&body, "agent_phone_number_id")?;
        let to_number = e164(&body, "to_number")?;
        Ok((to_number, client_data(&body)?))
    })();
    let (to_number, client_data) = match fields {
        Ok(fields) => fields,
        Err(rejection) => return rejection.into_response(),
    };
    let outcome = match outcome::for_number(&to_number) {
        Ok(outcome) => outcome,
        Err(refused) => return Json(json!({
            "success": false,
            "message": format!("Twilio refused the call ({}): {}", refused.code, refused.message),
            "conversation_id": null,
            "callSid": null,
        }))
        .into_response(),
    };
    let conversation = Conversation {
        id: random_id("conv_", 26),
        agent_id: sandbox.settings().agent_id.clone(),
        from_number: AGENT_NUMBER.to_string(),
        to_number,
        client_data,
    };
    let sid = random_id("CA", 32);
    let answer = json!({
        "success": true,
        "message": "Success",
        "conversation_id": conversation.id,
        "callSid": sid,
    });
    tracing::info!(conversation = %conversation.id, %sid, ?outcome, "sandbox: ElevenLabs outbound call placed");
    sandbox.remember(conversation.clone());
    play::start_elevenlabs_call(sandbox, sid, conversation, outcome);
    Json(answer).into_response()
}

/// `GET /v1/convai/conversations/{id}`: 404 for a conversation never
/// registered; `in-progress` / `processing` without transcript or
/// analysis until the sandbox analysed it (for `…555-0108`, forever);
/// then the post-call webhook's `data`, whether or not the webhook was
/// delivered.
pub(super) async fn get_conversation(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    Path(conversation_id): Path<String>,
) -> Response {
    if let Err(rejection) = key_checked(&sandbox, &headers) {
        return rejection.into_response();
    }
    if let Some(mut report) = sandbox.report(&conversation_id) {
        report["has_audio"] = json!(true);
        report["has_user_audio"] = json!(true);
        report["has_response_audio"] = json!(true);
        return Json(report).into_response();
    }
    let Some(conversation) = sandbox.conversation(&conversation_id) else {
        return detail(
            StatusCode::NOT_FOUND,
            "conversation_not_found",
            &format!("Conversation {conversation_id} not found"),
        )
        .into_response();
    };
    Json(json!({
        "agent_id": conversation.agent_id,
        "conversation_id": conversation.id,
        "status": "processing",
        "transcript": [],
        "metadata": {},
        "analysis": null,
        "has_audio": false,
        "has_user_audio": false,
        "has_response_audio": false,
        "conversation_initiation_client_data": {
            "dynamic_variables": conversation.dynamic_variables(),
        },
    }))
    .into_response()
}
