//! Twilio's outgoing caller IDs, answered by the sandbox:
//!
//! - `POST …/OutgoingCallerIds.json`: 200 with a six-digit
//!   `validation_code` and the validation call's `call_sid`; shortly after
//!   (the timing's `step`, as if the person typed the code), the number is
//!   verified and the signed `StatusCallback` posted with
//!   `VerificationStatus=success` and `OutgoingCallerIdSid`. A number
//!   ending in 555-0102 (no answer) fails instead: `VerificationStatus=failed`.
//!   Already verified: 400, code 21450.
//! - `GET …/OutgoingCallerIds.json[?PhoneNumber=]`: the verified ones.
//! - `DELETE …/OutgoingCallerIds/{PN…}.json`: 204, or 404.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::outcome;
use super::twilio_api::{authenticated, error};
use super::{random_id, rfc2822_now, Sandbox};

/// A caller ID the sandbox verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxCallerId {
    pub sid: String,
    pub phone_number: String,
    pub friendly_name: String,
}

fn caller_id_json(account_sid: &str, id: &SandboxCallerId) -> serde_json::Value {
    let now = rfc2822_now();
    json!({
        "sid": id.sid,
        "account_sid": account_sid,
        "friendly_name": id.friendly_name,
        "phone_number": id.phone_number,
        "date_created": now,
        "date_updated": now,
        "uri": format!("/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds/{}.json", id.sid),
    })
}

fn check(sandbox: &Sandbox, headers: &HeaderMap, account_sid: &str) -> Option<Response> {
    let settings = sandbox.settings();
    if !authenticated(headers, &settings.account_sid, &settings.auth_token) {
        return Some(error(401, 20003, "Authenticate").into_response());
    }
    (account_sid != settings.account_sid)
        .then(|| error(404, 20404, "The requested resource was not found").into_response())
}

pub(super) async fn create(
    State(sandbox): State<Sandbox>,
    Path(account_sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = check(&sandbox, &headers, &account_sid) {
        return refused;
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let Some(phone) = field("PhoneNumber") else {
        return error(400, 21604, "A 'PhoneNumber' is required").into_response();
    };
    if !outcome::is_e164(&phone) {
        return error(400, 21211, &format!("Invalid 'PhoneNumber': {phone}")).into_response();
    }
    if sandbox
        .caller_ids()
        .iter()
        .any(|id| id.phone_number == phone)
    {
        return error(400, 21450, "Phone number already verified for your account").into_response();
    }
    let friendly_name = field("FriendlyName").unwrap_or_else(|| phone.clone());
    if friendly_name.chars().count() > 64 {
        return error(400, 21205, "FriendlyName is longer than 64 characters").into_response();
    }
    let delay = match field("CallDelay").map(|d| d.parse::<u64>()) {
        None => 0,
        Some(Ok(d)) if d <= 60 => d,
        Some(_) => {
            return error(400, 21205, "CallDelay must be a whole number from 0 to 60")
                .into_response()
        }
    };
    let callback = field("StatusCallback");
    let method = field("StatusCallbackMethod").unwrap_or_else(|| "POST".to_string());
    let call_sid = random_id("CA", 32);
    let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
    let fails = phone.ends_with("5550102");
    let answer = json!({
        "account_sid": account_sid,
        "call_sid": call_sid,
        "friendly_name": friendly_name,
        "phone_number": phone,
        "validation_code": code,
    });
    tracing::info!(%phone, "sandbox: caller ID validation started");
    let played = sandbox.clone();
    tokio::spawn(async move {
        // CallDelay is honoured only as a fraction of the step: the
        // sandbox has no person to wait for.
        let step = played.settings().timing.step;
        tokio::time::sleep(
            step * 2 + std::time::Duration::from_millis(delay * 10 * u64::from(!step.is_zero())),
        )
        .await;
        let mut params = vec![
            ("AccountSid".to_string(), account_sid.clone()),
            ("CallSid".to_string(), call_sid.clone()),
            ("To".to_string(), phone.clone()),
            ("Called".to_string(), phone.clone()),
            ("CallStatus".to_string(), "completed".to_string()),
            ("Direction".to_string(), "outbound-api".to_string()),
            ("ApiVersion".to_string(), "2010-04-01".to_string()),
        ];
        if fails {
            params.push(("VerificationStatus".to_string(), "failed".to_string()));
        } else {
            let id = SandboxCallerId {
                sid: random_id("PN", 32),
                phone_number: phone.clone(),
                friendly_name,
            };
            params.push(("VerificationStatus".to_string(), "success".to_string()));
            params.push(("OutgoingCallerIdSid".to_string(), id.sid.clone()));
            played.caller_ids_mut().push(id);
        }
        if let Some(url) = callback {
            played
                .twilio_request(&call_sid, "caller-id", &url, &method, params)
                .await;
        }
    });
    (StatusCode::OK, Json(answer)).into_response()
}

pub(super) async fn list(
    State(sandbox): State<Sandbox>,
    Path(account_sid): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = check(&sandbox, &headers, &account_sid) {
        return refused;
    }
    let ids: Vec<_> = sandbox
        .caller_ids()
        .iter()
        .filter(|id| {
            query
                .get("PhoneNumber")
                .is_none_or(|p| p.trim() == id.phone_number)
        })
        .map(|id| caller_id_json(&account_sid, id))
        .collect();
    let uri = format!("/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json");
    Json(json!({
        "outgoing_caller_ids": ids,
        "end": ids.len().saturating_sub(1),
        "first_page_uri": format!("{uri}?PageSize=50&Page=0"),
        "next_page_uri": null,
        "page": 0,
        "page_size": 50,
        "previous_page_uri": null,
        "start": 0,
        "uri": uri,
    }))
    .into_response()
}

pub(super) async fn delete(
    State(sandbox): State<Sandbox>,
    Path((account_sid, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = check(&sandbox, &headers, &account_sid) {
        return refused;
    }
    let sid = file.strip_suffix(".json").unwrap_or(&file);
    let mut ids = sandbox.caller_ids_mut();
    let before = ids.len();
    ids.retain(|id| id.sid != sid);
    if ids.len() == before {
        return error(404, 20404, "The requested resource was not found").into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
