//! A local Twilio REST API (`api.twilio.com`) for placing calls: checks the
//! wire format our client sends (path, basic auth, form fields, repeated
//! `StatusCallbackEvent`) and answers as Twilio does, including the test
//! credentials' magic numbers and transient failures.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::json;

pub use crate::twilio_verify::{ACCOUNT_SID, AUTH_TOKEN};

/// The valid sender of Twilio's test credentials.
pub const VALID_FROM: &str = "+15005550006";
/// Answered 503 by the fake.
pub const TO_UNAVAILABLE: &str = "+15005550503";
/// Answered 429 (code 20429, `Retry-After: 7`) by the fake.
pub const TO_RATE_LIMITED: &str = "+15005550429";
/// Answered only after 5 seconds, for client timeouts.
pub const TO_SLOW: &str = "+15005550555";
/// Answered 201 with a body that is not a Call.
pub const TO_GARBLED: &str = "+15005550777";

/// Calls the fake received: their form fields in order.
pub type Received = Arc<Mutex<Vec<Vec<(String, String)>>>>;

pub struct FakeTwilioApi {
    pub base_url: String,
    pub received: Received,
}

impl FakeTwilioApi {
    pub async fn start() -> Self {
        let received: Received = Arc::default();
        let app = Router::new()
            .route("/2010-04-01/Accounts/{account}/Calls.json", post(calls))
            .with_state(received.clone());
        let base_url = crate::fake_server::serve(app).await;
        Self { base_url, received }
    }

    /// Config overrides pointing our client here.
    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_string()),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_string()),
            ("TWILIO_API_BASE_URL", self.base_url.clone()),
        ]
    }

    /// The form fields of every call received so far.
    pub fn calls(&self) -> Vec<Vec<(String, String)>> {
        self.received.lock().expect("lock").clone()
    }
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

async fn calls(
    State(received): State<Received>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let form_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if account != ACCOUNT_SID || !form_type.starts_with("application/x-www-form-urlencoded") {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    }
    received.lock().expect("lock").push(form.clone());
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let all = |name: &str| -> Vec<&str> {
        form.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let Some(to) = field("To") else {
        return error(
            StatusCode::BAD_REQUEST,
            21201,
            "No 'To' number is specified",
        );
    };
    let Some(from) = field("From") else {
        return error(
            StatusCode::BAD_REQUEST,
            21213,
            "No 'From' number is specified",
        );
    };
    if field("Url").is_none() == field("Twiml").is_none() {
        return error(StatusCode::BAD_REQUEST, 21205, "Url or Twiml is required");
    }
    if field("Twiml").is_some_and(|t| t.chars().count() > 4000) {
        return error(StatusCode::BAD_REQUEST, 21205, "Twiml is too long");
    }
    // Twilio only takes these values; anything else is a wire-format bug.
    let events = all("StatusCallbackEvent");
    if events
        .iter()
        .any(|e| !["initiated", "ringing", "answered", "completed"].contains(e))
        || (field("StatusCallbackMethod").is_some_and(|m| m != "POST" && m != "GET"))
        || (field("MachineDetection").is_some_and(|m| m != "Enable" && m != "DetectMessageEnd"))
        || (field("AsyncAmd").is_some_and(|a| a != "true" && a != "false"))
        || (field("Timeout").is_some_and(|t| t.parse::<u32>().is_err()))
    {
        return error(StatusCode::BAD_REQUEST, 21205, "Invalid parameter");
    }
    if from != VALID_FROM {
        return error(
            StatusCode::BAD_REQUEST,
            21210,
            "The source phone number provided is not yet verified for your account",
        );
    }
    match to {
        "+15005550001" => {
            return error(
                StatusCode::BAD_REQUEST,
                21217,
                "Phone number does not appear to be valid",
            )
        }
        "+15005550002" => {
            return error(
                StatusCode::BAD_REQUEST,
                21214,
                "'To' phone number cannot be reached",
            )
        }
        "+15005550003" => {
            return error(
                StatusCode::BAD_REQUEST,
                21215,
                "Account not authorized to call this number",
            )
        }
        "+15005550004" => {
            return error(
                StatusCode::BAD_REQUEST,
                21216,
                "Account not allowed to call this number",
            )
        }
        TO_UNAVAILABLE => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Service unavailable",
            )
        }
        TO_RATE_LIMITED => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("7"));
            return response;
        }
        TO_SLOW => tokio::time::sleep(Duration::from_secs(5)).await,
        TO_GARBLED => return (StatusCode::CREATED, "<html>oops</html>").into_response(),
        _ => {}
    }
    (
        StatusCode::CREATED,
        Json(json!({
            "sid": "CA00000000000000000000000000000001",
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": from,
            "status": "queued",
            "direction": "outbound-api",
            "duration": null,
            "price": null,
            "answered_by": null,
            "queue_time": "0",
            "date_created": "Tue, 14 Jan 2025 18:00:00 +0000",
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA00000000000000000000000000000001.json"),
        })),
    )
        .into_response()
}

/// The validation code the fake answers.
pub const VALIDATION_CODE: &str = "246810";
/// Already verified on the account: 400, code 21450.
pub const CALLER_ID_ALREADY_ON_ACCOUNT: &str = "+15005550450";

/// One request to the fake OutgoingCallerIds resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdRequest {
    pub method: String,
    pub path: String,
    /// Form fields (POST) or query parameters (GET).
    pub fields: Vec<(String, String)>,
}

#[derive(Clone, Default)]
struct CallerIdState {
    received: Arc<Mutex<Vec<CallerIdRequest>>>,
    /// `(sid, phone)` verified on the account.
    verified: Arc<Mutex<Vec<(String, String)>>>,
}

/// A local Twilio `OutgoingCallerIds` resource: checks auth, the form and
/// its fields as Twilio does, answers like Twilio.
pub struct FakeCallerIds {
    pub base_url: String,
    state: CallerIdState,
}

impl FakeCallerIds {
    pub async fn start() -> Self {
        use axum::routing::{delete, get};
        let state = CallerIdState::default();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/OutgoingCallerIds.json",
                get(list_caller_ids).post(create_caller_id),
            )
            .route(
                "/2010-04-01/Accounts/{account}/OutgoingCallerIds/{file}",
                delete(delete_caller_id),
            )
            .with_state(state.clone());
        let base_url = crate::fake_server::serve(app).await;
        Self { base_url, state }
    }

    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_string()),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_string()),
            ("TWILIO_API_BASE_URL", self.base_url.clone()),
        ]
    }

    pub fn requests(&self) -> Vec<CallerIdRequest> {
        self.state.received.lock().expect("lock").clone()
    }

    /// Twilio verified `phone` (the person typed the code): answers its sid.
    pub fn verify(&self, phone: &str) -> String {
        let mut verified = self.state.verified.lock().expect("lock");
        let sid = format!("PN{:032x}", verified.len() + 1);
        verified.push((sid.clone(), phone.to_string()));
        sid
    }

    pub fn verified(&self) -> Vec<(String, String)> {
        self.state.verified.lock().expect("lock").clone()
    }
}

fn basic_auth_ok(headers: &HeaderMap, account: &str) -> Option<Response> {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED, 20003, "Authenticate"));
    }
    (account != ACCOUNT_SID).then(|| {
        error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        )
    })
}

async fn create_caller_id(
    State(state): State<CallerIdState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(refused) = basic_auth_ok(&headers, &account) {
        return refused;
    }
    let form_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return error(StatusCode::BAD_REQUEST, 21205, "form expected");
    }
    state.received.lock().expect("lock").push(CallerIdRequest {
        method: "POST".into(),
        path: format!("/2010-04-01/Accounts/{account}/OutgoingCallerIds.json"),
        fields: form.clone(),
    });
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let known = [
        "PhoneNumber",
        "FriendlyName",
        "CallDelay",
        "Extension",
        "StatusCallback",
        "StatusCallbackMethod",
    ];
    if form.iter().any(|(k, _)| !known.contains(&k.as_str()))
        || field("CallDelay").is_some_and(|d| d.parse::<u32>().map_or(true, |d| d > 60))
        || field("FriendlyName").is_some_and(|n| n.chars().count() > 64)
        || field("StatusCallbackMethod").is_some_and(|m| m != "POST" && m != "GET")
        || field("StatusCallback").is_some_and(|u| !u.starts_with("http"))
    {
        return error(StatusCode::BAD_REQUEST, 21205, "Invalid parameter");
    }
    let Some(phone) = field("PhoneNumber") else {
        return error(StatusCode::BAD_REQUEST, 21604, "PhoneNumber is required");
    };
    if !phone.starts_with('+') {
        return error(StatusCode::BAD_REQUEST, 21211, "Invalid 'PhoneNumber'");
    }
    if phone == TO_UNAVAILABLE {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Service unavailable",
        );
    }
    if phone == CALLER_ID_ALREADY_ON_ACCOUNT
        || state
            .verified
            .lock()
            .expect("lock")
            .iter()
            .any(|(_, p)| p == phone)
    {
        return error(
            StatusCode::BAD_REQUEST,
            21450,
            "Phone number already verified for your account",
        );
    }
    Json(json!({
        "account_sid": ACCOUNT_SID,
        "call_sid": "CA00000000000000000000000000000042",
        "friendly_name": field("FriendlyName").unwrap_or(phone),
        "phone_number": phone,
        "validation_code": VALIDATION_CODE,
    }))
    .into_response()
}

async fn list_caller_ids(
    State(state): State<CallerIdState>,
    Path(account): Path<String>,
    axum::extract::Query(query): axum::extract::Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = basic_auth_ok(&headers, &account) {
        return refused;
    }
    state.received.lock().expect("lock").push(CallerIdRequest {
        method: "GET".into(),
        path: format!("/2010-04-01/Accounts/{account}/OutgoingCallerIds.json"),
        fields: query.clone(),
    });
    let wanted = query
        .iter()
        .find(|(k, _)| k == "PhoneNumber")
        .map(|(_, v)| v.clone());
    let ids: Vec<_> = state
        .verified
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, p)| wanted.as_ref().is_none_or(|w| w == p))
        .map(|(sid, phone)| {
            json!({
                "sid": sid, "account_sid": ACCOUNT_SID, "phone_number": phone,
                "friendly_name": phone, "date_created": "Tue, 14 Jan 2025 18:00:00 +0000",
                "date_updated": "Tue, 14 Jan 2025 18:00:00 +0000",
                "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/OutgoingCallerIds/{sid}.json"),
            })
        })
        .collect();
    Json(json!({ "outgoing_caller_ids": ids, "page": 0, "page_size": 50, "next_page_uri": null }))
        .into_response()
}

async fn delete_caller_id(
    State(state): State<CallerIdState>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = basic_auth_ok(&headers, &account) {
        return refused;
    }
    state.received.lock().expect("lock").push(CallerIdRequest {
        method: "DELETE".into(),
        path: format!("/2010-04-01/Accounts/{account}/OutgoingCallerIds/{file}"),
        fields: Vec::new(),
    });
    let Some(sid) = file.strip_suffix(".json") else {
        return error(StatusCode::NOT_FOUND, 20404, "not found");
    };
    let mut verified = state.verified.lock().expect("lock");
    let before = verified.len();
    verified.retain(|(s, _)| s != sid);
    if verified.len() == before {
        return error(StatusCode::NOT_FOUND, 20404, "not found");
    }
    StatusCode::NO_CONTENT.into_response()
}
