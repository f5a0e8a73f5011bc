//! Twilio Verify: SMS sign-in codes.
//!
//! `POST /v2/Services/{VA…}/Verifications` (`To`, `Channel=sms`) sends a
//! code; `POST /v2/Services/{VA…}/VerificationCheck` (`To`, `Code`) answers
//! `status: approved` when it is right.

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::infra::config::TwilioConfig;

/// A Verify service of one Twilio account.
#[derive(Clone, Debug)]
pub struct VerifyClient {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
    service_sid: String,
}

#[derive(Debug, Deserialize)]
struct VerificationResponse {
    status: String,
}

#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// What a code check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Approved,
    /// Wrong code, or no pending verification (expired, or never sent).
    Rejected,
}

impl VerifyClient {
    /// The client, when the account and service are configured.
    pub fn from_config(http: reqwest::Client, config: &TwilioConfig) -> Option<Self> {
        Some(Self {
            http,
            base_url: config.verify_base_url.trim_end_matches('/').to_string(),
            account_sid: config.account_sid.clone()?,
            auth_token: config.auth_token.clone()?,
            service_sid: config.verify_service_sid.clone()?,
        })
    }

    /// Sends an SMS code to `to` (E.164).
    pub async fn send_code(&self, to: &str) -> Result<()> {
        let response = self
            .post("Verifications", &[("To", to), ("Channel", "sms")])
            .await?;
        match response.status().as_u16() {
            200 | 201 => Ok(()),
            _ => Err(self.failure("sending a code", response).await),
        }
    }

    /// Checks `code` for `to`.
    pub async fn check_code(&self, to: &str, code: &str) -> Result<CodeCheck> {
        let response = self
            .post("VerificationCheck", &[("To", to), ("Code", code)])
            .await?;
        match response.status().as_u16() {
            200 | 201 => {
                let body: VerificationResponse = response.json().await.map_err(|e| {
                    Error::Unavailable(format!("Twilio Verify answered unreadably: {e}"))
                })?;
                Ok(if body.status == "approved" {
                    CodeCheck::Approved
                } else {
                    CodeCheck::Rejected
                })
            }
            // No pending verification for this number: expired or never sent.
            404 => Ok(CodeCheck::Rejected),
            _ => Err(self.failure("checking a code", response).await),
        }
    }

    async fn post(&self, resource: &str, form: &[(&str, &str)]) -> Result<reqwest::Response> {
        let url = format!(
            "{}/v2/Services/{}/{resource}",
            self.base_url, self.service_sid
        );
        self.http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(form)
            .send()
            .await
            .map_err(|e| Error::Unavailable(format!("Twilio Verify is unreachable: {e}")))
    }

    /// A Twilio error answer as ours: the number is the client's mistake
    /// when Twilio says so (60200 invalid parameter, 21211 invalid `To`),
    /// else the service is unavailable.
    async fn failure(&self, doing: &str, response: reqwest::Response) -> Error {
        let status = response.status();
        let body: Option<TwilioError> = response.json().await.ok();
        let code = body.as_ref().and_then(|b| b.code);
        let message = body.and_then(|b| b.message).unwrap_or_default();
        tracing::warn!(%status, ?code, %message, "Twilio Verify refused {doing}");
        match code {
            Some(60200 | 21211 | 21614 | 60205) => {
                Error::validation("phoneNumber", "this number cannot receive SMS codes")
            }
            Some(60203) => Error::RateLimited {
                retry_after_secs: 600,
            },
            _ if status.as_u16() == 429 => Error::RateLimited {
                retry_after_secs: 60,
            },
            _ => Error::Unavailable(format!("Twilio Verify failed {doing}")),
        }
    }
}
