//! A local Twilio Verify: checks the wire format our client sends (path,
//! basic auth, form fields) and answers as Twilio does.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Form, Json, Router};
use serde_json::json;

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const AUTH_TOKEN: &str = "test-auth-token";
pub const SERVICE_SID: &str = "VA00000000000000000000000000000001";
/// The code the fake accepts.
pub const GOOD_CODE: &str = "123456";

/// Requests the fake received, as (resource, form fields).
pub type Received = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

pub struct FakeVerify {
    pub base_url: String,
    pub received: Received,
}

impl FakeVerify {
    pub async fn start() -> Self {
        let received: Received = Arc::default();
        let app = Router::new()
            .route("/v2/Services/{service}/{resource}", post(handle))
            .with_state(received.clone());
        let base_url = crate::fake_server::serve(app).await;
        Self { base_url, received }
    }

    /// Config overrides pointing our client here.
    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_string()),
            ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_string()),
            ("TWILIO_VERIFY_SERVICE_SID", SERVICE_SID.to_string()),
            ("TWILIO_VERIFY_BASE_URL", self.base_url.clone()),
        ]
    }
}

async fn handle(
    State(received): State<Received>,
    Path((service, resource)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> impl IntoResponse {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        )
            .into_response();
    }
    let form_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if service != SERVICE_SID || !form_type.starts_with("application/x-www-form-urlencoded") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 20001, "message": "bad request", "status": 400})),
        )
            .into_response();
    }
    received
        .lock()
        .expect("lock")
        .push((resource.clone(), form.clone()));
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let to = field("To").unwrap_or_default();
    if !to.starts_with('+') {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 60200, "message": "Invalid parameter `To`", "status": 400})),
        )
            .into_response();
    }
    match resource.as_str() {
        "Verifications" if field("Channel").as_deref() == Some("sms") => (
            StatusCode::CREATED,
            Json(json!({"sid": "VE00000000000000000000000000000001", "service_sid": SERVICE_SID, "to": to, "channel": "sms", "status": "pending", "valid": false})),
        )
            .into_response(),
        "VerificationCheck" => {
            let approved = field("Code").as_deref() == Some(GOOD_CODE);
            (
                StatusCode::OK,
                Json(json!({"sid": "VE00000000000000000000000000000001", "to": to, "status": if approved { "approved" } else { "pending" }, "valid": approved})),
            )
                .into_response()
        }
        _ => (StatusCode::BAD_REQUEST, Json(json!({"code": 60200, "message": "Invalid parameter", "status": 400}))).into_response(),
    }
}
