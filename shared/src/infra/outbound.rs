//! The HTTP client for the external APIs (Twilio, ElevenLabs): one
//! connection pool per process, with a timeout so a hung provider never
//! holds a request or a dial job for long.

use std::time::Duration;

use crate::infra::config::ConfigError;

/// Longest wait for a provider's answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);

pub fn http_client() -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| ConfigError::Invalid {
            key: "HTTP client",
            reason: e.to_string(),
        })
}
