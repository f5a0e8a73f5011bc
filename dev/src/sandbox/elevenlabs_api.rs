//! ElevenLabs' Twilio integration as it answers: `register-call` (TwiML
//! that connects a call we placed to the agent) and `outbound-call`
//! (ElevenLabs places the call itself), `GET conversations/{id}` (a
//! conversation and, once analysed, its report) and `GET conversations`
//! (the list, filtered by agent and start time). All check `xi-api-key`;
//! the first two the agent too, and answer validation errors with 422
//! like FastAPI does.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
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
    // `…555-0109`: a TwiML that names no conversation, as ElevenLabs' own.
    let unnamed = outcome::for_number(&to_number) == Ok(outcome::Outcome::UnnamedConversation);
    let conversation = Conversation {
        id: random_id("conv_", 26),
        agent_id: sandbox.settings().agent_id.clone(),
        from_number,
        to_number,
        client_data,
        registered_unix_secs: chrono::Utc::now().timestamp(),
        session: unnamed.then(|| random_id("sess_", 32)),
    };
    let twiml = match &conversation.session {
        Some(session) => {
            twiml::connect_to_agent_unnamed(session, &conversation.dynamic_variables())
        }
        None => twiml::connect_to_agent(&conversation.id, &conversation.dynamic_variables()),
    };
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
        registered_unix_secs: chrono::Utc::now().timestamp(),
        session: None,
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

/// `GET /v1/convai/conversations`: the conversations the sandbox holds,
/// newest start first, filtered by `agent_id` and `call_start_after_unix`
/// / `call_start_before_unix` (seconds, inclusive), `page_size` of them
/// (1 to 100, default 30) from `cursor` on; ElevenLabs'
/// `GetConversationsPageResponseModel`. A conversation's start is its
/// call's once analysed, else when it was registered.
pub(super) async fn list_conversations(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(rejection) = key_checked(&sandbox, &headers) {
        return rejection.into_response();
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let number = |name: &str| -> Result<Option<i64>, Rejection> {
        param(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| Rejection::Validation {
                    field: name.to_string(),
                    message: "Input should be a valid integer".to_string(),
                })
            })
            .transpose()
    };
    let filters = (|| -> Result<_, Rejection> {
        let after = number("call_start_after_unix")?;
        let before = number("call_start_before_unix")?;
        let page_size = number("page_size")?.unwrap_or(30);
        if !(1..=100).contains(&page_size) {
            return Err(Rejection::Validation {
                field: "page_size".to_string(),
                message: "Input should be between 1 and 100".to_string(),
            });
        }
        let offset = match param("cursor").filter(|c| !c.is_empty()) {
            Some(cursor) => cursor.parse::<usize>().map_err(|_| Rejection::Validation {
                field: "cursor".to_string(),
                message: "Invalid cursor".to_string(),
            })?,
            None => 0,
        };
        Ok((after, before, page_size as usize, offset))
    })();
    let (after, before, page_size, offset) = match filters {
        Ok(filters) => filters,
        Err(rejection) => return rejection.into_response(),
    };
    let agent = param("agent_id");
    let mut listed: Vec<Value> = sandbox
        .all_conversations()
        .into_iter()
        .filter(|c| agent.is_none_or(|agent| c.agent_id == agent))
        .map(|c| summary(&sandbox, &c))
        .filter(|s| {
            let start = s["start_time_unix_secs"].as_i64().unwrap_or(0);
            after.is_none_or(|after| start >= after) && before.is_none_or(|before| start <= before)
        })
        .collect();
    listed.sort_by_key(|s| {
        (
            std::cmp::Reverse(s["start_time_unix_secs"].as_i64().unwrap_or(0)),
            s["conversation_id"].as_str().unwrap_or("").to_string(),
        )
    });
    let page: Vec<Value> = listed
        .iter()
        .skip(offset)
        .take(page_size)
        .cloned()
        .collect();
    let has_more = listed.len() > offset + page.len();
    Json(json!({
        "conversations": page,
        "has_more": has_more,
        "next_cursor": has_more.then(|| (offset + page_size).to_string()),
    }))
    .into_response()
}

/// `conversation` as the list shows it.
fn summary(sandbox: &Sandbox, conversation: &Conversation) -> Value {
    let report = sandbox.report(&conversation.id);
    let metadata = report.as_ref().map(|r| &r["metadata"]);
    let start = metadata
        .and_then(|m| m["start_time_unix_secs"].as_i64())
        .unwrap_or(conversation.registered_unix_secs);
    json!({
        "agent_id": conversation.agent_id,
        "agent_name": "Sandbox agent",
        "conversation_id": conversation.id,
        "start_time_unix_secs": start,
        "call_duration_secs": metadata.and_then(|m| m["call_duration_secs"].as_i64()).unwrap_or(0),
        "message_count": report.as_ref().and_then(|r| r["transcript"].as_array()).map_or(0, Vec::len),
        "status": report.as_ref().and_then(|r| r["status"].as_str()).unwrap_or("processing"),
        "call_successful": report.as_ref().and_then(|r| r["analysis"]["call_successful"].as_str()).unwrap_or("unknown"),
        "direction": "outbound",
    })
}
