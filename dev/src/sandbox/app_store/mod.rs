//! The App Store sandbox: what the App Store signs and serves for an iOS
//! app's subscriptions, made locally, so App Store purchases run without
//! an Apple account.
//!
//! - a certificate chain made for the run ([`chain`]): root →
//!   intermediate with Apple's intermediate marker → leaf with Apple's
//!   leaf marker; the server trusts its root alone
//!   (`APPLE_ROOT_CERTIFICATES`), never beside Apple's;
//! - signed transactions, renewal info and App Store Server Notifications
//!   V2 built from it ([`store`]), delivered to `/webhooks/apple` as
//!   `{"signedPayload": …}`;
//! - the App Store Server API's Get All Subscription Statuses, which
//!   checks the ES256 JWT it is sent ([`api`]) against an API key made for
//!   the run.
//!
//! When none of `APPLE_ISSUER_ID`, `APPLE_KEY_ID`, `APPLE_PRIVATE_KEY`
//! and `APPLE_ROOT_CERTIFICATES` is set, `heyway serve` mounts the router
//! at `/sandbox/app-store` and [`configure`] points the real client and
//! verifier at it. Routes, relative to the mount point:
//!
//! - `GET /inApps/v1/subscriptions/{transactionId}`: the API (its JWT);
//! - `POST /purchases` `{"productId", "appAccountToken"?}`: a purchase;
//!   answers its `jwsRepresentation` (for `POST /api/subscriptions/apple`)
//!   and delivers its `SUBSCRIBED` notification;
//! - `POST /subscriptions/{originalTransactionId}/{action}` (`renew`,
//!   `fail-renewal`, `fail-renewal-grace`, `grace-period-expired`,
//!   `expire`, `refund`, `revoke`, `auto-renew-on`, `auto-renew-off`):
//!   moves it and delivers the notification;
//! - `GET /notifications`: what was delivered.
//!
//! All but the API need the run's access key: they make data the server
//! trusts.

pub mod api;
pub mod chain;
pub mod store;

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::Utc;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use self::chain::{Chain, Leaf};
use self::store::{App, Event, Store, Subscription};
use super::access::{new_secret, AccessKey};
use heyway::features::webhooks::APPLE_PATH as WEBHOOK_PATH;
use heyway::infra::config::{AppleConfig, AppleEnvironment};

/// Where the App Store sandbox is mounted, relative to [`super::MOUNT`].
pub const APP_STORE_PATH: &str = "/app-store";

/// The bundle id `heyway serve` uses when `APPLE_BUNDLE_ID` is unset.
pub const DEV_BUNDLE_ID: &str = "com.heyway.dev";

/// The product `POST /purchases` buys when none is named.
pub const DEV_PRODUCT_ID: &str = "com.heyway.dev.pro.monthly";

/// What the sandbox signs as and with.
#[derive(Clone)]
pub struct AppStoreSandboxSettings {
    pub bundle_id: String,
    pub app_apple_id: Option<i64>,
    pub environment: AppleEnvironment,
    pub issuer_id: String,
    pub key_id: String,
    /// The run's App Store Connect key, PKCS#8 PEM (`APPLE_PRIVATE_KEY`).
    pub private_key_pem: String,
    /// Its public half (uncompressed P-256 point), which the API checks.
    pub public_key: Vec<u8>,
    /// `{webhook base}/webhooks/apple`.
    pub webhook_url: String,
    pub access_key: AccessKey,
    pub http: reqwest::Client,
}

impl std::fmt::Debug for AppStoreSandboxSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppStoreSandboxSettings")
            .field("bundle_id", &self.bundle_id)
            .field("environment", &self.environment)
            .field("webhook_url", &self.webhook_url)
            .finish_non_exhaustive()
    }
}

impl AppStoreSandboxSettings {
    /// Settings for `bundle_id` in `environment` with a new API key,
    /// issuer id and key id, delivering to `webhook_url`.
    pub fn new(
        bundle_id: &str,
        environment: AppleEnvironment,
        webhook_url: String,
        access_key: AccessKey,
        http: reqwest::Client,
    ) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("P-256 key");
        let secret = new_secret();
        Self {
            bundle_id: bundle_id.to_string(),
            app_apple_id: None,
            environment,
            issuer_id: format!(
                "{}-{}-{}-{}-{}",
                &secret[0..8],
                &secret[8..12],
                &secret[12..16],
                &secret[16..20],
                &secret[20..32]
            ),
            key_id: secret[32..42].to_ascii_uppercase(),
            private_key_pem: format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                STANDARD.encode(pkcs8.as_ref())
            ),
            public_key: key.public_key().as_ref().to_vec(),
            webhook_url,
            access_key,
            http,
        }
    }

    fn app(&self) -> App {
        App {
            bundle_id: self.bundle_id.clone(),
            app_apple_id: self.app_apple_id,
            environment: self.environment.as_str().to_string(),
        }
    }
}

/// A notification signed by the sandbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedNotification {
    pub notification_uuid: String,
    pub notification_type: String,
    pub subtype: Option<String>,
    pub original_transaction_id: String,
    pub signed_date: i64,
    /// `{"signedPayload": …}`, as Apple posts it.
    pub body: String,
}

/// A purchase: what StoreKit hands the app, and the notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Purchase {
    pub original_transaction_id: String,
    pub transaction_id: String,
    /// `Transaction.jwsRepresentation`.
    pub jws_representation: String,
    pub notification: SignedNotification,
}

/// A notification sent, and what the endpoint answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub notification_uuid: String,
    pub notification_type: String,
    pub subtype: Option<String>,
    pub url: String,
    /// `None` when the endpoint could not be reached.
    pub status: Option<u16>,
    pub answer: String,
}

/// The sandbox. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppStoreSandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: AppStoreSandboxSettings,
    chain: Chain,
    store: Mutex<Store>,
    deliveries: Mutex<Vec<Delivery>>,
    /// Every API request: its path and whether its token was accepted.
    api_calls: Mutex<Vec<(String, bool)>>,
}

/// The sandbox when no App Store key or root is configured
/// ([`AppleConfig::real_keys`]), with `apple` changed to use it: its API
/// at `{origin}/sandbox/app-store`, its key, issuer and key id, its root
/// as the only trusted one, the `Sandbox` environment, and the bundle id
/// configured (else [`DEV_BUNDLE_ID`]). `None`, and `apple` untouched,
/// otherwise.
pub fn configure(
    apple: &mut AppleConfig,
    origin: &str,
    webhook_base: &str,
    access_key: AccessKey,
    http: reqwest::Client,
) -> Option<AppStoreSandbox> {
    if !apple.real_keys().is_empty() {
        return None;
    }
    let bundle_id = apple
        .bundle_id
        .get_or_insert_with(|| DEV_BUNDLE_ID.to_string())
        .clone();
    let settings = AppStoreSandboxSettings::new(
        &bundle_id,
        AppleEnvironment::Sandbox,
        format!("{}{WEBHOOK_PATH}", webhook_base.trim_end_matches('/')),
        access_key,
        http,
    );
    let sandbox = AppStoreSandbox::new(settings);
    sandbox.configure_client(
        apple,
        &format!(
            "{}{}{APP_STORE_PATH}",
            origin.trim_end_matches('/'),
            super::MOUNT
        ),
    );
    Some(sandbox)
}

impl AppStoreSandbox {
    /// A sandbox with a new chain.
    pub fn new(settings: AppStoreSandboxSettings) -> Self {
        Self::with_chain(settings, Chain::new())
    }

    pub fn with_chain(settings: AppStoreSandboxSettings, chain: Chain) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                chain,
                store: Mutex::new(Store::new()),
                deliveries: Mutex::default(),
                api_calls: Mutex::default(),
            }),
        }
    }

    pub fn settings(&self) -> &AppStoreSandboxSettings {
        &self.inner.settings
    }

    pub fn chain(&self) -> &Chain {
        &self.inner.chain
    }

    /// Points `apple` at this sandbox, its API at `api_base_url`.
    pub fn configure_client(&self, apple: &mut AppleConfig, api_base_url: &str) {
        let settings = self.settings();
        apple.bundle_id = Some(settings.bundle_id.clone());
        apple.environment = settings.environment;
        apple.app_apple_id = settings.app_apple_id;
        apple.issuer_id = Some(settings.issuer_id.clone());
        apple.key_id = Some(settings.key_id.clone());
        apple.private_key = Some(settings.private_key_pem.clone());
        apple.api_base_url = api_base_url.trim_end_matches('/').to_string();
        apple.root_certificates = vec![self.chain().root_der().to_vec()];
    }

    /// `payload` signed as the App Store signs: ES256 by the leaf, `x5c`
    /// the chain.
    pub fn sign(&self, payload: &Value) -> String {
        sign_with(self.chain(), payload)
    }

    fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        // Plain data: usable even if a holder panicked.
        mutex.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A purchase of `product_id` with `app_account_token`.
    pub fn purchase(&self, product_id: &str, app_account_token: Option<&str>) -> Purchase {
        let sub = Self::lock(&self.inner.store).purchase(product_id, app_account_token);
        let now = Utc::now().timestamp_millis();
        let jws = self.sign(&store::transaction_payload(
            &self.settings().app(),
            &sub,
            now,
        ));
        Purchase {
            original_transaction_id: sub.original_transaction_id.clone(),
            transaction_id: sub.latest().id.clone(),
            jws_representation: jws,
            notification: self.notification(&sub, "SUBSCRIBED", Some("INITIAL_BUY")),
        }
    }

    /// Moves subscription `original` by `event`; answers its
    /// notification, not yet delivered. `None` for an unknown subscription.
    pub fn event(&self, original: &str, event: Event) -> Option<SignedNotification> {
        let sub = Self::lock(&self.inner.store).apply(original, event)?;
        let (kind, subtype) = event.notification(&sub);
        Some(self.notification(&sub, kind, subtype))
    }

    /// A notification of `kind` about `sub` as it is, signed now.
    pub fn notification(
        &self,
        sub: &Subscription,
        kind: &str,
        subtype: Option<&str>,
    ) -> SignedNotification {
        let app = self.settings().app();
        let now = Utc::now().timestamp_millis();
        let uuid = uuid_v4();
        let transaction = self.sign(&store::transaction_payload(&app, sub, now));
        let renewal = self.sign(&store::renewal_payload(&app, sub, now));
        let notice = store::Notice {
            kind,
            subtype,
            uuid: &uuid,
            signed_ms: now,
        };
        let payload = store::notification_payload(&app, notice, sub, transaction, renewal);
        SignedNotification {
            notification_uuid: uuid,
            notification_type: kind.to_string(),
            subtype: subtype.map(str::to_string),
            original_transaction_id: sub.original_transaction_id.clone(),
            signed_date: now,
            body: json!({ "signedPayload": self.sign(&payload) }).to_string(),
        }
    }

    /// Posts `notification` to the webhook, as Apple does; logs it.
    pub async fn deliver(&self, notification: &SignedNotification) -> Delivery {
        let settings = self.settings();
        let answer = settings
            .http
            .post(&settings.webhook_url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::USER_AGENT,
                "App Store Server Notifications (sandbox)",
            )
            .body(notification.body.clone())
            .send()
            .await;
        let (status, answer) = match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                (Some(status), text.chars().take(500).collect())
            }
            Err(error) => (None, error.to_string()),
        };
        let delivery = Delivery {
            notification_uuid: notification.notification_uuid.clone(),
            notification_type: notification.notification_type.clone(),
            subtype: notification.subtype.clone(),
            url: settings.webhook_url.clone(),
            status,
            answer,
        };
        Self::lock(&self.inner.deliveries).push(delivery.clone());
        delivery
    }

    /// The notifications delivered so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        Self::lock(&self.inner.deliveries).clone()
    }

    /// Every API request so far: its path and whether its JWT held.
    pub fn api_calls(&self) -> Vec<(String, bool)> {
        Self::lock(&self.inner.api_calls).clone()
    }

    /// Every route, relative to the mount point.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/inApps/v1/subscriptions/{transaction_id}",
                get(subscription_statuses),
            )
            .route("/purchases", post(purchase))
            .route(
                "/subscriptions/{original}/{action}",
                post(move_subscription),
            )
            .route("/notifications", get(list_deliveries))
            .with_state(self.clone())
    }

    /// Get All Subscription Statuses' answer for `transaction_id`.
    fn statuses(&self, transaction_id: &str) -> Option<Value> {
        let store = Self::lock(&self.inner.store);
        let sub = store.find(transaction_id)?.clone();
        drop(store);
        let app = self.settings().app();
        let now = Utc::now().timestamp_millis();
        let mut answer = json!({
            "environment": app.environment,
            "bundleId": app.bundle_id,
            "data": [{
                "subscriptionGroupIdentifier": "21000001",
                "lastTransactions": [{
                    "originalTransactionId": sub.original_transaction_id,
                    "status": sub.status,
                    "signedTransactionInfo": self.sign(&store::transaction_payload(&app, &sub, now)),
                    "signedRenewalInfo": self.sign(&store::renewal_payload(&app, &sub, now)),
                }],
            }],
        });
        if let Some(id) = app.app_apple_id {
            answer["appAppleId"] = json!(id);
        }
        Some(answer)
    }
}

/// `payload` signed by `chain`'s leaf, with `chain` as `x5c`.
pub fn sign_with(chain: &Chain, payload: &Value) -> String {
    let header = json!({ "alg": "ES256", "x5c": chain.x5c() });
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = chain.sign(message.as_bytes());
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A random (version 4) UUID, as Apple's `notificationUUID`s are.
pub fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0F) | 0x40;
    bytes[8] = (bytes[8] & 0x3F) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

async fn subscription_statuses(
    State(sandbox): State<AppStoreSandbox>,
    Path(transaction_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let settings = sandbox.settings();
    let expected = api::Expected {
        key_id: &settings.key_id,
        issuer_id: &settings.issuer_id,
        bundle_id: &settings.bundle_id,
        public_key: &settings.public_key,
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let checked = api::check_token(authorization, &expected, Utc::now().timestamp());
    let path = format!("/inApps/v1/subscriptions/{transaction_id}");
    AppStoreSandbox::lock(&sandbox.inner.api_calls).push((path, checked.is_ok()));
    if let Err(refused) = checked {
        tracing::info!(%refused, "App Store sandbox: API token refused");
        return (StatusCode::UNAUTHORIZED, "Unauthenticated").into_response();
    }
    match sandbox.statuses(&transaction_id) {
        Some(answer) => Json(answer).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "errorCode": 4040010, "errorMessage": "Transaction id not found." })),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PurchaseRequest {
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    app_account_token: Option<String>,
}

async fn purchase(
    State(sandbox): State<AppStoreSandbox>,
    headers: HeaderMap,
    uri: Uri,
    Json(request): Json<PurchaseRequest>,
) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    let product = request.product_id.as_deref().unwrap_or(DEV_PRODUCT_ID);
    let purchase = sandbox.purchase(product, request.app_account_token.as_deref());
    let delivery = sandbox.deliver(&purchase.notification).await;
    Json(json!({ "purchase": purchase, "delivery": delivery })).into_response()
}

async fn move_subscription(
    State(sandbox): State<AppStoreSandbox>,
    Path((original, action)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    let Some(event) = Event::from_action(&action) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("unknown action {action:?}: see docs/sandbox.md") })),
        )
            .into_response();
    };
    let Some(notification) = sandbox.event(&original, event) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such subscription in the sandbox" })),
        )
            .into_response();
    };
    let delivery = sandbox.deliver(&notification).await;
    Json(json!({ "notification": notification, "delivery": delivery })).into_response()
}

async fn list_deliveries(
    State(sandbox): State<AppStoreSandbox>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some(refused) = sandbox.settings().access_key.check(&headers, &uri) {
        return refused;
    }
    Json(sandbox.deliveries()).into_response()
}
