//! The App Store Server API, the one call subscriptions make: Get All
//! Subscription Statuses (`GET /inApps/v1/subscriptions/{transactionId}`).
//! Each request carries a fresh ES256 JWT signed with the App Store
//! Connect key: header `alg`, `kid`, `typ`; claims `iss` (issuer id),
//! `iat`, `exp` (five minutes on; Apple refuses more than an hour),
//! `aud: appstoreconnect-v1` and `bid` (the bundle id). The base URL is
//! configurable (`APPLE_API_BASE_URL`), so tests and `heyway serve` point
//! it at the App Store sandbox.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::payloads::StatusResponse;
use crate::infra::config::AppleConfig;

/// The JWT audience Apple requires.
pub const AUDIENCE: &str = "appstoreconnect-v1";

/// How long a request's token is valid.
pub const TOKEN_TTL_SECS: i64 = 5 * 60;

/// An App Store Connect API key and where to reach the API.
#[derive(Clone)]
pub struct AppStoreClient {
    http: reqwest::Client,
    base_url: String,
    issuer_id: String,
    key_id: String,
    bundle_id: String,
    key: EncodingKey,
}

impl std::fmt::Debug for AppStoreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppStoreClient")
            .field("base_url", &self.base_url)
            .field("issuer_id", &self.issuer_id)
            .field("key_id", &self.key_id)
            .field("bundle_id", &self.bundle_id)
            .finish_non_exhaustive()
    }
}

/// Why an App Store Server API call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppStoreError {
    /// The API does not know the transaction (404), or refused the
    /// request (another 4xx): `errorCode` and `errorMessage` as answered.
    #[error("the App Store refused the request ({status}): {message}")]
    Refused {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// Not reachable, 5xx or 429, or an unreadable answer: worth a retry.
    #[error("the App Store is not answering: {0}")]
    Unavailable(String),
    /// The configured key cannot sign.
    #[error("the App Store Connect key cannot sign: {0}")]
    Key(String),
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
    exp: i64,
    aud: &'static str,
    bid: &'a str,
}

impl AppStoreClient {
    /// The client `config` describes: `None` unless the bundle id, issuer
    /// id, key id and private key are all set.
    pub fn from_config(http: reqwest::Client, config: &AppleConfig) -> Option<Self> {
        crate::infra::jwt::install();
        Some(Self {
            http,
            base_url: config.api_base_url.trim_end_matches('/').to_string(),
            issuer_id: config.issuer_id.clone()?,
            key_id: config.key_id.clone()?,
            bundle_id: config.bundle_id.clone()?,
            key: EncodingKey::from_ec_der(&pkcs8_der(config.private_key.as_deref()?)),
        })
    }

    /// A request's bearer token, issued at `now`.
    pub fn token(&self, now: DateTime<Utc>) -> Result<String, AppStoreError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        header.typ = Some("JWT".to_string());
        let claims = Claims {
            iss: &self.issuer_id,
            iat: now.timestamp(),
            exp: now.timestamp() + TOKEN_TTL_SECS,
            aud: AUDIENCE,
            bid: &self.bundle_id,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| AppStoreError::Key(e.to_string()))
    }

    /// Get All Subscription Statuses for the customer of
    /// `transaction_id` (any of their transaction ids).
    pub async fn subscription_statuses(
        &self,
        transaction_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StatusResponse, AppStoreError> {
        let digits = transaction_id.chars().all(|c| c.is_ascii_digit());
        if transaction_id.is_empty() || !digits {
            return Err(AppStoreError::Refused {
                status: 400,
                code: None,
                message: "a transaction id is digits".into(),
            });
        }
        let url = format!("{}/inApps/v1/subscriptions/{transaction_id}", self.base_url);
        let response = self
            .http
            .get(&url)
            .bearer_auth(self.token(now)?)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| AppStoreError::Unavailable(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| AppStoreError::Unavailable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map_err(|e| AppStoreError::Unavailable(format!("unreadable answer: {e}")));
        }
        if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 401 {
            // 401: Apple refused our token; retrying later with a fixed key
            // is the operator's business, not the client's mistake.
            return Err(AppStoreError::Unavailable(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        Err(AppStoreError::Refused {
            status: status.as_u16(),
            code: error.get("errorCode").and_then(serde_json::Value::as_i64),
            message: error
                .get("errorMessage")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("no message")
                .to_string(),
        })
    }
}

/// The DER inside a PEM `.p8` file (or the base64 alone).
fn pkcs8_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap_or_default()
}
