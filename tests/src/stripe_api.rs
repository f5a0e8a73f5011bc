//! A local Stripe API for the billing routes: checks the bearer secret
//! key, the pinned `Stripe-Version`, that bodies are form-encoded with
//! bracketed keys, and each endpoint's required parameters; answers as
//! Stripe does (objects, or `{"error":{type,code,param,message}}`).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

pub const SECRET_KEY: &str = "sk_test_heyway_0001";
pub const PRICE_ID: &str = "price_test_pro";
/// A price Stripe answers "No such price" for.
pub const MISSING_PRICE: &str = "price_missing";

/// One request received.
#[derive(Clone, Debug)]
pub struct StripeRequest {
    pub path: String,
    pub form: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
}

impl StripeRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Received = Arc<Mutex<Vec<StripeRequest>>>;

pub struct FakeStripe {
    pub base_url: String,
    received: Received,
}

impl FakeStripe {
    pub async fn start() -> Self {
        let received: Received = Arc::default();
        let app = Router::new()
            .route("/v1/customers", post(endpoint))
            .route("/v1/checkout/sessions", post(endpoint))
            .route("/v1/billing_portal/sessions", post(endpoint))
            .route("/v1/billing/meter_events", post(endpoint))
            .with_state(received.clone());
        let base_url = crate::fake_server::serve(app).await;
        Self { base_url, received }
    }

    /// Config overrides pointing our client here, with URLs and a price.
    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STRIPE_SECRET_KEY", SECRET_KEY.to_string()),
            ("STRIPE_API_BASE_URL", self.base_url.clone()),
            ("STRIPE_PRICE_ID", PRICE_ID.to_string()),
            (
                "STRIPE_SUCCESS_URL",
                "https://app.heyway.test/billing/success".to_string(),
            ),
            (
                "STRIPE_CANCEL_URL",
                "https://app.heyway.test/billing".to_string(),
            ),
            (
                "STRIPE_PORTAL_RETURN_URL",
                "https://app.heyway.test/settings".to_string(),
            ),
        ]
    }

    pub fn requests(&self) -> Vec<StripeRequest> {
        self.received.lock().expect("lock").clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<StripeRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

fn error(
    status: StatusCode,
    kind: &str,
    code: &str,
    param: Option<&str>,
    message: &str,
) -> Response {
    (
        status,
        Json(
            json!({ "error": { "type": kind, "code": code, "param": param, "message": message } }),
        ),
    )
        .into_response()
}

fn missing(param: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        "parameter_missing",
        Some(param),
        &format!("Missing required param: {param}."),
    )
}

async fn endpoint(
    State(received): State<Received>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("authorization") != Some(&format!("Bearer {SECRET_KEY}")) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "api_key_invalid",
            None,
            "Invalid API Key provided",
        );
    }
    if !header("content-type").is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_content_type",
            None,
            "form-encode the body",
        );
    }
    if header("stripe-version") != Some("2025-03-31.basil") {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "api_version_invalid",
            None,
            "unexpected Stripe-Version",
        );
    }
    // JSON is not form-encoding: refuse anything that does not parse as
    // key=value pairs with bracketed (not dotted or JSON) nested keys.
    let text = String::from_utf8_lossy(&body);
    if text.trim_start().starts_with('{') {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_content_type",
            None,
            "JSON body",
        );
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if form.iter().any(|(k, _)| k.contains('.') || k.is_empty()) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "parameter_unknown",
            None,
            "nested keys use brackets",
        );
    }
    let request = StripeRequest {
        path: uri.path().to_string(),
        form,
        idempotency_key: header("idempotency-key").map(str::to_string),
    };
    received.lock().expect("lock").push(request.clone());
    let n = received.lock().expect("lock").len();
    let required: &[&str] = match request.path.as_str() {
        "/v1/customers" => &[],
        "/v1/checkout/sessions" => &[
            "mode",
            "success_url",
            "line_items[0][price]",
            "line_items[0][quantity]",
        ],
        "/v1/billing_portal/sessions" => &["customer"],
        "/v1/billing/meter_events" => &[
            "event_name",
            "payload[stripe_customer_id]",
            "payload[value]",
        ],
        _ => &[],
    };
    if let Some(absent) = required.iter().find(|p| request.param(p).is_none()) {
        return missing(absent);
    }
    match request.path.as_str() {
        "/v1/customers" => Json(json!({
            "id": format!("cus_fake{n:04}"), "object": "customer",
            "email": request.param("email"), "name": request.param("name"),
            "metadata": { "userId": request.param("metadata[userId]") },
        }))
        .into_response(),
        "/v1/checkout/sessions" => {
            if request.param("line_items[0][price]") == Some(MISSING_PRICE) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "resource_missing",
                    Some("line_items[0][price]"),
                    &format!("No such price: '{MISSING_PRICE}'"),
                );
            }
            let id = format!("cs_test_fake{n:04}");
            Json(json!({
                "id": id, "object": "checkout.session", "mode": "subscription",
                "customer": request.param("customer"),
                "client_reference_id": request.param("client_reference_id"),
                "url": format!("https://checkout.stripe.com/c/pay/{id}"),
            }))
            .into_response()
        }
        "/v1/billing_portal/sessions" => {
            let id = format!("bps_fake{n:04}");
            Json(json!({
                "id": id, "object": "billing_portal.session",
                "customer": request.param("customer"), "return_url": request.param("return_url"),
                "url": format!("https://billing.stripe.com/p/session/{id}"),
            }))
            .into_response()
        }
        _ => Json(json!({
            "object": "billing.meter_event",
            "event_name": request.param("event_name"),
            "identifier": request.param("identifier"),
            "payload": { "stripe_customer_id": request.param("payload[stripe_customer_id]"),
                         "value": request.param("payload[value]") },
        }))
        .into_response(),
    }
}

/// For callers that want a JSON view of what was sent.
pub fn as_json(request: &StripeRequest) -> Value {
    json!({ "path": request.path, "form": request.form, "idempotencyKey": request.idempotency_key })
}
