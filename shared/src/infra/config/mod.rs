//! Configuration from the environment and, on AWS, one Secrets Manager
//! secret; read once per process, on first use.

pub mod apple;
pub mod secret;
pub mod storage;
pub mod trusted_proxies;

use tokio::sync::OnceCell;

use crate::infra::aws;

pub use apple::{AppleConfig, AppleEnvironment};
pub use secret::KeyPurpose;
pub use trusted_proxies::TrustedProxies;

/// Database name used when `MONGODB_DB` is not set.
pub const DEFAULT_DB_NAME: &str = "heyway";

/// Port of the local server when `PORT` is not set.
pub const DEFAULT_PORT: u16 = 3000;

/// Settings every entry point shares. Read from the environment once
/// ([`Config::shared`]) so a Lambda does not re-parse it on each invocation.
#[derive(Clone, Debug)]
pub struct Config {
    /// `MONGODB_URI`; `None` means "start a local SecantusDB" for the
    /// `heyway` command and is an error for a Lambda.
    pub mongodb_uri: Option<String>,
    /// `MONGODB_DB`.
    pub mongodb_db: String,
    /// `PORT` of the local server.
    pub port: u16,
    /// `JWT_SECRET`, at least 32 bytes: the access tokens' and the local
    /// recording URLs' keys are derived from it ([`Config::signing_key`]).
    /// `None` is an error on AWS; `heyway serve` makes a random one per run.
    pub jwt_secret: Option<String>,
    /// `ACCESS_TOKEN_TTL_SECS`, default 15 minutes.
    pub access_token_ttl_secs: u64,
    /// `REFRESH_TOKEN_TTL_DAYS`, default 30.
    pub refresh_token_ttl_days: u64,
    /// Twilio credentials and endpoints.
    pub twilio: TwilioConfig,
    /// ElevenLabs Conversational AI credentials and endpoint.
    pub elevenlabs: ElevenLabsConfig,
    /// Stripe: billing API key, webhook secret, price and redirect URLs.
    pub stripe: StripeConfig,
    /// App Store subscriptions: the app, the environment, the App Store
    /// Server API key and the trusted roots.
    pub apple: AppleConfig,
    /// `DIAL_QUEUE_URL`: the SQS queue of dial jobs (AWS only).
    pub dial_queue_url: Option<String>,
    /// `MAX_CALL_LATENESS_MINUTES`, default 180: a call found later than
    /// this is recorded as missed instead of placed.
    pub max_call_lateness_minutes: u64,
    /// `POST_CALL_REPORT_WAIT_MINUTES`, default 5: how long after a
    /// completed call the evaluator waits for ElevenLabs' post-call
    /// webhook before fetching the conversation itself.
    pub post_call_report_wait_minutes: u64,
    /// `HEYWAY_EVALUATOR=off` stops `heyway serve`'s one-minute tick.
    pub evaluator_enabled: bool,
    /// `WEBHOOK_BASE_URL`: the public base URL Twilio and ElevenLabs call
    /// back (`{base}/webhooks/twilio/status`, …). Behind a function URL it
    /// is that URL; unset in `heyway serve`, which uses its own address.
    pub webhook_base_url: Option<String>,
    /// `EVENT_BUS_NAME`, default `default`: the EventBridge bus that gets
    /// the domain events (call completed, follow-up needed).
    pub event_bus_name: String,
    /// `DIALER_CALLS_PER_SECOND`, default 1 (Twilio's default per account);
    /// 0 turns pacing off.
    pub dialer_calls_per_second: u64,
    /// `DIALER_MAX_ATTEMPTS`, default 5: deliveries of one dial job before
    /// the dialer gives up on a transiently failing call (the queue's
    /// dead-letter `maxReceiveCount` should match).
    pub dialer_max_attempts: u64,
    /// Recordings' object storage (`RECORDINGS_STORE`, `RECORDINGS_BUCKET`).
    pub recordings: storage::StorageConfig,
    /// `TRUSTED_PROXIES`: the proxies whose `X-Forwarded-For` names the
    /// client, for per-IP rate limits; default none.
    pub trusted_proxies: TrustedProxies,
}

/// Twilio account and the base URLs of its APIs, which tests point at
/// local servers.
#[derive(Clone, Debug, Default)]
pub struct TwilioConfig {
    /// `TWILIO_ACCOUNT_SID` (`AC…`).
    pub account_sid: Option<String>,
    /// `TWILIO_AUTH_TOKEN`: basic auth password and webhook signing key.
    pub auth_token: Option<String>,
    /// `TWILIO_VERIFY_SERVICE_SID` (`VA…`) for SMS sign-in codes.
    pub verify_service_sid: Option<String>,
    /// `TWILIO_VERIFY_BASE_URL`, default `https://verify.twilio.com`.
    pub verify_base_url: String,
    /// `TWILIO_API_BASE_URL`, default `https://api.twilio.com`: the REST
    /// API that places calls.
    pub api_base_url: String,
}

/// ElevenLabs Conversational AI: the agent that holds AI conversations and
/// the secret its post-call webhooks are signed with.
#[derive(Clone, Debug, Default)]
pub struct ElevenLabsConfig {
    /// `ELEVENLABS_API_KEY`, sent as `xi-api-key`.
    pub api_key: Option<String>,
    /// `ELEVENLABS_AGENT_ID`: the agent every AI call talks to.
    pub agent_id: Option<String>,
    /// `ELEVENLABS_BASE_URL`, default `https://api.elevenlabs.io`.
    pub base_url: String,
    /// `ELEVENLABS_WEBHOOK_SECRET`: checks `ElevenLabs-Signature`.
    pub webhook_secret: Option<String>,
}

/// Stripe Billing: the REST API (tests point it at a local server), the
/// webhook signing secret, the plan's price and where Checkout and the
/// Billing Portal send the customer back.
#[derive(Clone, Debug, Default)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY` (`sk_…`), sent as a bearer token.
    pub secret_key: Option<String>,
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_…`): checks `Stripe-Signature`.
    /// Unset: every Stripe webhook is refused.
    pub webhook_secret: Option<String>,
    /// `STRIPE_API_BASE_URL`, default `https://api.stripe.com`.
    pub api_base_url: String,
    /// `STRIPE_PRICE_ID`: the plan Checkout sells when the client names
    /// none.
    pub price_id: Option<String>,
    /// `STRIPE_PRICE_IDS`, comma-separated: the other plans a client may
    /// name. Checkout sells these and `price_id`, nothing else, so that a
    /// client cannot buy a price made for someone else (a test price, a
    /// discount, a retired plan).
    pub price_ids: Vec<String>,
    /// `STRIPE_SUCCESS_URL`: where Checkout returns after paying.
    pub success_url: Option<String>,
    /// `STRIPE_CANCEL_URL`: where Checkout returns when abandoned.
    pub cancel_url: Option<String>,
    /// `STRIPE_PORTAL_RETURN_URL`: where the Billing Portal returns.
    pub portal_return_url: Option<String>,
    /// `STRIPE_METER_EVENT_NAME`, default `call_minutes`: the Billing
    /// Meter's `event_name` paid minutes are reported under.
    pub meter_event_name: String,
}

impl StripeConfig {
    /// Whether Checkout may sell `price`: the default plan or one listed
    /// in `STRIPE_PRICE_IDS`.
    pub fn sells(&self, price: &str) -> bool {
        self.price_id.as_deref() == Some(price) || self.price_ids.iter().any(|id| id == price)
    }
}

/// The non-blank items of a comma-separated list, trimmed.
fn comma_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch
    /// the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let port = match non_empty("PORT") {
            None => DEFAULT_PORT,
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                key: "PORT",
                reason: format!("{raw:?} is not a port number"),
            })?,
        };
        let number = |key: &'static str, default: u64| -> Result<u64, ConfigError> {
            match non_empty(key) {
                None => Ok(default),
                Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                    key,
                    reason: format!("{raw:?} is not a whole number"),
                }),
            }
        };
        let jwt_secret = non_empty("JWT_SECRET");
        if let Some(secret) = &jwt_secret {
            secret::check(secret)?;
        }
        Ok(Self {
            mongodb_uri: non_empty("MONGODB_URI"),
            mongodb_db: non_empty("MONGODB_DB").unwrap_or_else(|| DEFAULT_DB_NAME.to_string()),
            port,
            jwt_secret,
            access_token_ttl_secs: number("ACCESS_TOKEN_TTL_SECS", 15 * 60)?,
            refresh_token_ttl_days: number("REFRESH_TOKEN_TTL_DAYS", 30)?,
            dial_queue_url: non_empty("DIAL_QUEUE_URL"),
            max_call_lateness_minutes: number("MAX_CALL_LATENESS_MINUTES", 180)?,
            post_call_report_wait_minutes: number("POST_CALL_REPORT_WAIT_MINUTES", 5)?,
            evaluator_enabled: !non_empty("HEYWAY_EVALUATOR")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("off")),
            webhook_base_url: non_empty("WEBHOOK_BASE_URL")
                .map(|url| url.trim().trim_end_matches('/').to_string()),
            event_bus_name: non_empty("EVENT_BUS_NAME").unwrap_or_else(|| "default".to_string()),
            dialer_calls_per_second: number("DIALER_CALLS_PER_SECOND", 1)?,
            dialer_max_attempts: number("DIALER_MAX_ATTEMPTS", 5)?,
            recordings: storage::StorageConfig::from_lookup(&non_empty)?,
            trusted_proxies: non_empty("TRUSTED_PROXIES").map_or_else(
                || Ok(TrustedProxies::default()),
                |raw| TrustedProxies::parse(&raw),
            )?,
            twilio: TwilioConfig {
                account_sid: non_empty("TWILIO_ACCOUNT_SID"),
                auth_token: non_empty("TWILIO_AUTH_TOKEN"),
                verify_service_sid: non_empty("TWILIO_VERIFY_SERVICE_SID"),
                verify_base_url: non_empty("TWILIO_VERIFY_BASE_URL")
                    .unwrap_or_else(|| "https://verify.twilio.com".to_string()),
                api_base_url: non_empty("TWILIO_API_BASE_URL")
                    .unwrap_or_else(|| "https://api.twilio.com".to_string()),
            },
            elevenlabs: ElevenLabsConfig {
                api_key: non_empty("ELEVENLABS_API_KEY"),
                agent_id: non_empty("ELEVENLABS_AGENT_ID"),
                base_url: non_empty("ELEVENLABS_BASE_URL")
                    .unwrap_or_else(|| "https://api.elevenlabs.io".to_string()),
                webhook_secret: non_empty("ELEVENLABS_WEBHOOK_SECRET"),
            },
            apple: AppleConfig::from_lookup(&non_empty)?,
            stripe: StripeConfig {
                secret_key: non_empty("STRIPE_SECRET_KEY"),
                webhook_secret: non_empty("STRIPE_WEBHOOK_SECRET"),
                api_base_url: non_empty("STRIPE_API_BASE_URL")
                    .map(|url| url.trim().trim_end_matches('/').to_string())
                    .unwrap_or_else(|| "https://api.stripe.com".to_string()),
                price_id: non_empty("STRIPE_PRICE_ID").map(|id| id.trim().to_string()),
                price_ids: non_empty("STRIPE_PRICE_IDS")
                    .map(|list| comma_list(&list))
                    .unwrap_or_default(),
                success_url: non_empty("STRIPE_SUCCESS_URL"),
                cancel_url: non_empty("STRIPE_CANCEL_URL"),
                portal_return_url: non_empty("STRIPE_PORTAL_RETURN_URL"),
                meter_event_name: non_empty("STRIPE_METER_EVENT_NAME")
                    .unwrap_or_else(|| "call_minutes".to_string()),
            },
        })
    }

    /// The process-wide configuration, read on first use (a Lambda's first
    /// event, never its init): the environment, and when
    /// `HEYWAY_SECRETS_ID` names a Secrets Manager secret, the settings in
    /// it, which win over the environment's. Kept for the process, so a
    /// rotated secret is seen by the next cold start.
    pub async fn shared() -> Result<&'static Self, ConfigError> {
        static CONFIG: OnceCell<Config> = OnceCell::const_new();
        CONFIG.get_or_try_init(Self::load).await
    }

    async fn load() -> Result<Self, ConfigError> {
        let client = aws::AwsJson::new(aws::Service::SecretsManager);
        Self::from_env_and_secret(&client, |key| std::env::var(key).ok()).await
    }

    /// The configuration `env` gives, with the settings in the secret it
    /// names (`HEYWAY_SECRETS_ID`, read through `client`) over it.
    pub async fn from_env_and_secret(
        client: &aws::AwsJson,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let Some(secret_id) = env(SECRETS_ID).filter(|id| !id.trim().is_empty()) else {
            return Self::from_lookup(env);
        };
        let secrets = aws::secrets_manager::settings(client, secret_id.trim())
            .await
            .map_err(|e| ConfigError::Secrets {
                id: secret_id.clone(),
                reason: e.to_string(),
            })?;
        Self::from_lookup(|key| secrets.get(key).cloned().or_else(|| env(key)))
    }
}

/// Names the Secrets Manager secret holding the secret settings.
pub const SECRETS_ID: &str = "HEYWAY_SECRETS_ID";

/// A setting that is missing or malformed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The secret `HEYWAY_SECRETS_ID` names could not be read.
    #[error("the settings secret {id} could not be read: {reason}")]
    Secrets { id: String, reason: String },
    #[error("{key} is not set")]
    Missing { key: &'static str },
    #[error("{key} is invalid: {reason}")]
    Invalid { key: &'static str, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| env.get(key).cloned())
    }

    #[test]
    fn defaults_apply_when_unset_or_blank() {
        let cfg = config(&[("MONGODB_URI", " ")]).unwrap();
        assert_eq!(cfg.mongodb_uri, None);
        assert_eq!(cfg.mongodb_db, "heyway");
        assert_eq!(cfg.port, 3000);
        assert_eq!(cfg.twilio.api_base_url, "https://api.twilio.com");
        assert_eq!(cfg.elevenlabs.base_url, "https://api.elevenlabs.io");
        assert_eq!(cfg.elevenlabs.api_key, None);
        assert_eq!(cfg.stripe.api_base_url, "https://api.stripe.com");
        assert_eq!(cfg.stripe.webhook_secret, None);
    }

    #[test]
    fn reads_telephony_settings() {
        let cfg = config(&[
            ("TWILIO_API_BASE_URL", "http://127.0.0.1:9"),
            ("ELEVENLABS_API_KEY", "xi"),
            ("ELEVENLABS_AGENT_ID", "agent"),
            ("ELEVENLABS_BASE_URL", "http://127.0.0.1:8"),
            ("ELEVENLABS_WEBHOOK_SECRET", "whsec"),
        ])
        .unwrap();
        assert_eq!(cfg.twilio.api_base_url, "http://127.0.0.1:9");
        assert_eq!(cfg.elevenlabs.api_key.as_deref(), Some("xi"));
        assert_eq!(cfg.elevenlabs.agent_id.as_deref(), Some("agent"));
        assert_eq!(cfg.elevenlabs.base_url, "http://127.0.0.1:8");
        assert_eq!(cfg.elevenlabs.webhook_secret.as_deref(), Some("whsec"));
    }

    #[test]
    fn reads_values() {
        let cfg = config(&[
            ("MONGODB_URI", "mongodb://127.0.0.1:1"),
            ("MONGODB_DB", "prod"),
            ("PORT", "8080"),
        ])
        .unwrap();
        assert_eq!(cfg.mongodb_uri.as_deref(), Some("mongodb://127.0.0.1:1"));
        assert_eq!(cfg.mongodb_db, "prod");
        assert_eq!(cfg.port, 8080);
    }

    #[test]
    fn recordings_store_defaults_and_checks() {
        use super::storage::StoreKind;
        let cfg = config(&[]).unwrap();
        assert_eq!(cfg.recordings.store, StoreKind::Local);
        let cfg = config(&[("RECORDINGS_BUCKET", "made-up")]).unwrap();
        assert_eq!(cfg.recordings.store, StoreKind::S3);
        let err = config(&[("RECORDINGS_STORE", "gcs")]).unwrap_err();
        assert!(err.to_string().starts_with("RECORDINGS_BUCKET"), "{err}");
        let err = config(&[("RECORDINGS_STORE", "ftp")]).unwrap_err();
        assert!(err.to_string().starts_with("RECORDINGS_STORE"), "{err}");
    }

    #[test]
    fn checkout_sells_the_default_price_and_the_listed_ones_only() {
        let cfg = config(&[
            ("STRIPE_PRICE_ID", " price_plan "),
            ("STRIPE_PRICE_IDS", "price_team, ,price_yearly,"),
        ])
        .unwrap();
        assert_eq!(cfg.stripe.price_id.as_deref(), Some("price_plan"));
        assert_eq!(cfg.stripe.price_ids, ["price_team", "price_yearly"]);
        assert!(cfg.stripe.sells("price_plan"));
        assert!(cfg.stripe.sells("price_yearly"));
        assert!(!cfg.stripe.sells("price_other"));
        assert!(!cfg.stripe.sells(""));
        assert!(!config(&[]).unwrap().stripe.sells("price_plan"));
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = config(&[("JWT_SECRET", "31-bytes-is-one-byte-too-short!")]).unwrap_err();
        assert!(
            err.to_string().starts_with("JWT_SECRET is invalid"),
            "{err}"
        );
        let cfg = config(&[("JWT_SECRET", "32-bytes-long-secret-is-accepted")]).unwrap();
        assert!(cfg.signing_key(KeyPurpose::AccessTokens).is_ok());
        let mut short = cfg.clone();
        short.jwt_secret = Some("short".into());
        assert!(short.signing_key(KeyPurpose::AccessTokens).is_err());
        short.jwt_secret = None;
        let err = short.signing_key(KeyPurpose::AccessTokens).unwrap_err();
        assert_eq!(err.to_string(), "JWT_SECRET is not set");
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        assert!(config(&[]).unwrap().trusted_proxies.is_empty());
        let cfg = config(&[("TRUSTED_PROXIES", "10.0.0.0/8")]).unwrap();
        assert!(cfg.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        let err = config(&[("TRUSTED_PROXIES", "everyone")]).unwrap_err();
        assert!(err.to_string().starts_with("TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn bad_port_names_the_key() {
        let err = config(&[("PORT", "eighty")]).unwrap_err();
        assert!(err.to_string().starts_with("PORT is invalid"), "{err}");
    }
}
