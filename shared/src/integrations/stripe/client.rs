//! Stripe's REST API, the few calls billing makes: form-encoded bodies
//! with bracketed keys (`line_items[0][price]`), the secret key as a
//! bearer token, the API version pinned to the one the webhook parser
//! reads (`2025-03-31.basil`), and a configurable base URL that tests
//! point at a local fake.

use serde::Deserialize;
use serde_json::Value;

use crate::infra::config::StripeConfig;

/// The API version our requests (and the objects we parse) follow.
pub const API_VERSION: &str = "2025-03-31.basil";

/// A Stripe account reached with its secret key.
#[derive(Clone, Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
}

/// Why a Stripe call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StripeError {
    /// Stripe refused the request (4xx): `error.type`, `error.code`,
    /// `error.param` and `error.message` as it answered.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused {
        status: u16,
        code: Option<String>,
        param: Option<String>,
        message: String,
    },
    /// Not reachable, 5xx or 429, or an unreadable answer: worth a retry.
    #[error("Stripe is not answering: {0}")]
    Unavailable(String),
}

impl From<StripeError> for crate::error::Error {
    fn from(error: StripeError) -> Self {
        tracing::warn!(%error, "Stripe call failed");
        match error {
            StripeError::Refused { param, message, .. } => crate::error::Error::Validation {
                field: param.unwrap_or_else(|| "stripe".to_string()),
                message: format!("Stripe refused the request: {message}"),
            },
            StripeError::Unavailable(_) => crate::error::Error::Unavailable(
                "the payment service is not answering; try again shortly".to_string(),
            ),
        }
    }
}

/// A Checkout Session to create (subscription mode).
#[derive(Clone, Debug, PartialEq)]
pub struct NewCheckout<'a> {
    pub customer: &'a str,
    pub price_id: &'a str,
    /// Our user id: `client_reference_id` and `metadata[userId]` on the
    /// session and on the subscription it creates.
    pub user_id: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// What Stripe answers for a created session: its id and hosted URL.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SessionUrl {
    pub id: String,
    pub url: String,
}

/// A Billing Meter event.
#[derive(Clone, Debug, PartialEq)]
pub struct MeterEvent<'a> {
    pub event_name: &'a str,
    pub customer: &'a str,
    /// Whole units (Stripe meters take integer values as strings).
    pub value: i64,
    /// Deduplicated by Stripe for at least 24 h: a retry is harmless.
    pub identifier: &'a str,
    /// Unix seconds of the usage.
    pub timestamp: Option<i64>,
}

type Form = Vec<(String, String)>;

fn pair(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_string(), value.into())
}

impl StripeClient {
    pub fn new(http: reqwest::Client, base_url: &str, secret_key: &str) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
        }
    }

    /// The client, when `STRIPE_SECRET_KEY` is set.
    pub fn from_config(http: reqwest::Client, config: &StripeConfig) -> Option<Self> {
        let key = config.secret_key.as_deref()?;
        Some(Self::new(http, &config.api_base_url, key))
    }

    /// `POST {path}` with `form`; `idempotency_key` makes a retry of the
    /// same request answer the first result.
    async fn post(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| StripeError::Unavailable(format!("cannot encode the request: {e}")))?;
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| StripeError::Unavailable(e.to_string()))?;
        let status = response.status().as_u16();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| StripeError::Unavailable(format!("unreadable answer: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        if status == 429 || status >= 500 {
            return Err(StripeError::Unavailable(format!("HTTP {status}")));
        }
        let error = answer.get("error");
        let text = |name: &str| {
            error
                .and_then(|e| e.get(name))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Err(StripeError::Refused {
            status,
            code: text("code"),
            param: text("param"),
            message: text("message").unwrap_or_else(|| format!("HTTP {status}")),
        })
    }

    /// `POST /v1/customers`: a customer for our user; answers its id. The
    /// idempotency key is the user's, so two racing checkouts make one.
    pub async fn create_customer(
        &self,
        user_id: &str,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<String, StripeError> {
        let mut form = vec![pair("metadata[userId]", user_id)];
        if let Some(email) = email {
            form.push(pair("email", email));
        }
        if let Some(name) = name {
            form.push(pair("name", name));
        }
        let answer = self
            .post(
                "/v1/customers",
                &form,
                Some(&format!("heyway-customer-{user_id}")),
            )
            .await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| StripeError::Unavailable("customer without an id".to_string()))
    }

    /// `POST /v1/checkout/sessions` in subscription mode.
    pub async fn create_checkout_session(
        &self,
        checkout: &NewCheckout<'_>,
    ) -> Result<SessionUrl, StripeError> {
        let form = vec![
            pair("mode", "subscription"),
            pair("customer", checkout.customer),
            pair("client_reference_id", checkout.user_id),
            pair("line_items[0][price]", checkout.price_id),
            pair("line_items[0][quantity]", "1"),
            pair("success_url", checkout.success_url),
            pair("cancel_url", checkout.cancel_url),
            pair("metadata[userId]", checkout.user_id),
            pair("subscription_data[metadata][userId]", checkout.user_id),
        ];
        let answer = self.post("/v1/checkout/sessions", &form, None).await?;
        serde_json::from_value(answer)
            .map_err(|e| StripeError::Unavailable(format!("unreadable session: {e}")))
    }

    /// `POST /v1/billing_portal/sessions`: the customer's portal.
    pub async fn create_portal_session(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<SessionUrl, StripeError> {
        let form = vec![pair("customer", customer), pair("return_url", return_url)];
        let answer = self
            .post("/v1/billing_portal/sessions", &form, None)
            .await?;
        serde_json::from_value(answer)
            .map_err(|e| StripeError::Unavailable(format!("unreadable portal session: {e}")))
    }

    /// `POST /v1/billing/meter_events`.
    pub async fn create_meter_event(&self, event: &MeterEvent<'_>) -> Result<(), StripeError> {
        let mut form = vec![
            pair("event_name", event.event_name),
            pair("payload[stripe_customer_id]", event.customer),
            pair("payload[value]", event.value.to_string()),
            pair("identifier", event.identifier),
        ];
        if let Some(timestamp) = event.timestamp {
            form.push(pair("timestamp", timestamp.to_string()));
        }
        self.post(
            "/v1/billing/meter_events",
            &form,
            Some(&format!("heyway-meter-{}", event.identifier)),
        )
        .await
        .map(|_| ())
    }
}
