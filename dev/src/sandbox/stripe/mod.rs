//! The Stripe sandbox: Stripe's API and hosted pages, answered locally,
//! so the whole billing flow runs without a Stripe account.
//!
//! When neither `STRIPE_SECRET_KEY` nor `STRIPE_WEBHOOK_SECRET` is set,
//! `heyway serve` mounts this router at `/sandbox/stripe` and
//! [`configure`] points the real [`StripeClient`] at it through
//! `STRIPE_API_BASE_URL`, with a secret key and webhook secret made for
//! the run. Checkout and the portal then take the production code path:
//! the client's form-encoded requests are checked as Stripe checks them
//! ([`api`]), the returned URLs lead to the sandbox's pages, and paying or
//! canceling there sends Stripe's signed webhooks to `/webhooks/stripe`,
//! verified with the run's webhook secret as in production ([`hosted`],
//! [`delivery`]).
//!
//! Only our server knows the secret key, so only it creates sessions
//! (with the signed-in user's id); a session's pages are reached by its
//! random, unguessable id; its return URLs must be the configured ones or
//! the sandbox's own pages; the logs need the run's access key.
//!
//! Routes, relative to where the router is mounted:
//! - `POST /v1/customers`, `POST /v1/checkout/sessions`,
//!   `POST /v1/billing_portal/sessions`, `POST /v1/billing/meter_events`;
//! - `GET /checkout/{id}`, `GET /portal/{id}`, `GET /pages/{name}`: the
//!   hosted pages;
//! - `GET /events`: the webhooks sent ([`Delivery`]); `GET /meter_events`:
//!   the usage reported; both with the run's access key only.
//!
//! docs/sandbox.md has the details.
//!
//! [`StripeClient`]: heyway::integrations::stripe::StripeClient

mod account;
mod api;
pub mod delivery;
mod hosted;
mod objects;
mod pages;
mod request;
pub mod settings;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::Value;

use self::account::{Account, Replay};
use self::api::Operation;
use self::request::{ApiError, Params};
use super::access::{new_secret, AccessKey};
pub use delivery::{Delivery, DeliveryLog};
use heyway::features::webhooks::STRIPE_PATH as WEBHOOK_PATH;
use heyway::infra::config::StripeConfig;
pub use settings::StripeSandboxSettings;

/// Where the Stripe sandbox is mounted, relative to [`super::MOUNT`].
pub const STRIPE_PATH: &str = "/stripe";

/// The sandbox: its settings, its account and the webhooks it sent.
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct StripeSandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: StripeSandboxSettings,
    account: Mutex<Account>,
    deliveries: DeliveryLog,
}

/// The sandbox when neither `STRIPE_SECRET_KEY` nor
/// `STRIPE_WEBHOOK_SECRET` is configured, with `stripe` changed to use it:
/// the API base `{origin}/sandbox/stripe`, a secret key and a webhook
/// secret made for this run (never a configured one: a sandbox that
/// signed with the real secret would forge webhooks for whoever drives
/// it), and where unset the development price and the sandbox's own
/// pages as success, cancel and portal-return URLs. Events go to
/// `{webhook_base}/webhooks/stripe`; `access_key` reads the logs.
/// `None`, and `stripe` untouched, when either secret is configured
/// ([`real_keys`] names them).
pub fn configure(
    stripe: &mut StripeConfig,
    origin: &str,
    webhook_base: &str,
    access_key: AccessKey,
    http: reqwest::Client,
) -> Option<StripeSandbox> {
    if !real_keys(stripe).is_empty() {
        return None;
    }
    let public_url = format!(
        "{}{}{STRIPE_PATH}",
        origin.trim_end_matches('/'),
        super::MOUNT
    );
    stripe.api_base_url = public_url.clone();
    let secret_key = stripe
        .secret_key
        .insert(format!("sk_test_sandbox_{}", new_secret()))
        .clone();
    let webhook_secret = stripe
        .webhook_secret
        .insert(format!("whsec_sandbox_{}", new_secret()))
        .clone();
    let price_id = stripe
        .price_id
        .get_or_insert_with(|| settings::DEV_PRICE_ID.to_string())
        .clone();
    let success_url = stripe
        .success_url
        .get_or_insert_with(|| {
            format!("{public_url}/pages/success?session_id={{CHECKOUT_SESSION_ID}}")
        })
        .clone();
    let cancel_url = stripe
        .cancel_url
        .get_or_insert_with(|| format!("{public_url}/pages/canceled"))
        .clone();
    let portal_return_url = stripe
        .portal_return_url
        .get_or_insert_with(|| format!("{public_url}/pages/returned"))
        .clone();
    Some(StripeSandbox::new(StripeSandboxSettings {
        secret_key,
        webhook_secret,
        access_key,
        webhook_url: format!("{}{WEBHOOK_PATH}", webhook_base.trim_end_matches('/')),
        public_url,
        price_id,
        meter_event_name: stripe.meter_event_name.clone(),
        return_urls: vec![success_url, cancel_url, portal_return_url],
        http,
    }))
}

/// The real Stripe keys configured (by variable name): any one turns the
/// sandbox off.
pub fn real_keys(stripe: &StripeConfig) -> Vec<&'static str> {
    [
        ("STRIPE_SECRET_KEY", stripe.secret_key.is_some()),
        ("STRIPE_WEBHOOK_SECRET", stripe.webhook_secret.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

impl StripeSandbox {
    pub fn new(settings: StripeSandboxSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                account: Mutex::default(),
                deliveries: DeliveryLog::default(),
            }),
        }
    }

    pub fn settings(&self) -> &StripeSandboxSettings {
        &self.inner.settings
    }

    /// The webhooks sent so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.deliveries.all()
    }

    /// The meter events accepted so far, oldest first.
    pub fn meter_events(&self) -> Vec<Value> {
        self.account().meter_events.clone()
    }

    /// Every route, relative to the mount point.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/customers", post(customers))
            .route("/v1/checkout/sessions", post(checkout_sessions))
            .route("/v1/billing_portal/sessions", post(portal_sessions))
            .route("/v1/billing/meter_events", post(meter_events))
            .route("/v1/{*rest}", any(unrecognized))
            .route("/checkout/{id}", get(hosted::checkout))
            .route("/portal/{id}", get(hosted::portal))
            .route("/pages/{name}", get(pages::landing))
            .route("/events", get(list_deliveries))
            .route("/meter_events", get(list_meter_events))
            .with_state(self.clone())
    }

    fn account(&self) -> std::sync::MutexGuard<'_, Account> {
        // Plain data: usable even if a holder panicked.
        self.inner.account.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One API request: the key, the form, `Idempotency-Key` (a repeat
    /// with the same parameters answers the first success again, with
    /// other parameters Stripe's `idempotency_error`), then `operation`.
    fn call(&self, path: &str, operation: Operation, headers: &HeaderMap, body: &[u8]) -> Response {
        let settings = self.settings();
        if let Err(error) = request::authenticate(headers, &settings.secret_key) {
            return error.into_response();
        }
        let params = match Params::read(headers, body) {
            Ok(params) => params,
            Err(error) => return error.into_response(),
        };
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let mut account = self.account();
        if let Some(replay) = key.as_ref().and_then(|k| account.idempotent.get(k)) {
            if replay.path == path && replay.params == params {
                return (
                    [("idempotent-replayed", "true")],
                    Json(replay.answer.clone()),
                )
                    .into_response();
            }
            return ApiError::idempotency(key.as_deref().unwrap_or_default()).into_response();
        }
        let now = chrono::Utc::now().timestamp();
        match operation(&mut account, settings, &params, now) {
            Ok(answer) => {
                let id = answer["id"].as_str().or(answer["identifier"].as_str());
                tracing::info!(
                    path,
                    id = id.unwrap_or_default(),
                    "Stripe sandbox: API call answered"
                );
                if let Some(key) = key {
                    account.idempotent.insert(
                        key,
                        Replay {
                            path: path.to_string(),
                            params,
                            answer: answer.clone(),
                        },
                    );
                }
                Json(answer).into_response()
            }
            Err(error) => {
                tracing::info!(path, param = ?error.param, message = %error.message, "Stripe sandbox: API call refused");
                error.into_response()
            }
        }
    }
}

async fn customers(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sandbox.call("/v1/customers", api::create_customer, &headers, &body)
}

async fn checkout_sessions(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sandbox.call(
        "/v1/checkout/sessions",
        api::create_checkout_session,
        &headers,
        &body,
    )
}

async fn portal_sessions(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sandbox.call(
        "/v1/billing_portal/sessions",
        api::create_portal_session,
        &headers,
        &body,
    )
}

async fn meter_events(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sandbox.call(
        "/v1/billing/meter_events",
        api::create_meter_event,
        &headers,
        &body,
    )
}

/// Any other API path: Stripe's 404, as JSON (the client reads it as a
/// refusal, not as Stripe being down).
async fn unrecognized(method: Method, uri: Uri) -> Response {
    let mut error = ApiError::invalid(
        "",
        format!(
            "Unrecognized request URL ({method}: {}). The sandbox answers only the calls HeyWay makes: see docs/sandbox.md.",
            uri.path()
        ),
    );
    error.status = StatusCode::NOT_FOUND.as_u16();
    error.param = None;
    error.into_response()
}

/// `GET /events`: for the holder of the access key only.
async fn list_deliveries(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    Json(sandbox.deliveries()).into_response()
}

/// `GET /meter_events`: for the holder of the access key only.
async fn list_meter_events(
    State(sandbox): State<StripeSandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    Json(sandbox.meter_events()).into_response()
}
