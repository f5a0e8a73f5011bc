//! Twilio's outgoing caller IDs: proving a number is the user's so calls
//! may leave from it.
//!
//! - `POST /2010-04-01/Accounts/{AC…}/OutgoingCallerIds.json` (form
//!   `PhoneNumber`, `FriendlyName`, `CallDelay`, `StatusCallback`) starts a
//!   validation: Twilio answers the `validation_code` the person types when
//!   Twilio calls them, and later posts the `StatusCallback` with
//!   `VerificationStatus` (`success` | `failed`) and, on success,
//!   `OutgoingCallerIdSid` (`PN…`).
//! - `GET …/OutgoingCallerIds.json?PhoneNumber=` lists the verified ones:
//!   the source of truth.
//! - `DELETE …/OutgoingCallerIds/{PN…}.json` forgets one (204).

use serde::Deserialize;

use crate::infra::config::TwilioConfig;

/// Talks to one Twilio account's outgoing caller IDs.
#[derive(Clone, Debug)]
pub struct CallerIdsClient {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
}

/// A validation to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationRequest {
    /// E.164.
    pub phone_number: String,
    /// At most 64 characters.
    pub friendly_name: Option<String>,
    /// Seconds before Twilio calls, 0 to 60.
    pub call_delay_secs: Option<u32>,
    /// Where Twilio reports the outcome (POST).
    pub status_callback: Option<String>,
}

/// Twilio's answer to a validation request.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Validation {
    /// The digits the person types when Twilio calls.
    pub validation_code: String,
    #[serde(default)]
    pub call_sid: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

/// A verified caller ID of the account.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OutgoingCallerId {
    /// `PN…`.
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    outgoing_caller_ids: Vec<OutgoingCallerId>,
}

/// Twilio error code: the number is already verified on the account.
pub const ALREADY_VERIFIED: i64 = 21450;

/// Why Twilio did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CallerIdError {
    /// Twilio answered with an error.
    #[error("Twilio refused ({status}, code {code:?}): {message}")]
    Refused {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// Twilio could not be reached, or answered unreadably.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
}

impl CallerIdError {
    /// Whether Twilio was busy or down (retry later) rather than refusing.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Refused { status, code, .. } => {
                *status >= 500 || *status == 429 || *code == Some(20429)
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

impl CallerIdsClient {
    /// The client, when the account is configured.
    pub fn from_config(http: reqwest::Client, config: &TwilioConfig) -> Option<Self> {
        Some(Self {
            http,
            base_url: config.api_base_url.trim_end_matches('/').to_string(),
            account_sid: config.account_sid.clone()?,
            auth_token: config.auth_token.clone()?,
        })
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{rest}",
            self.base_url, self.account_sid
        )
    }

    /// Starts the validation call.
    pub async fn request_validation(
        &self,
        request: &ValidationRequest,
    ) -> Result<Validation, CallerIdError> {
        let response = self
            .http
            .post(self.url("OutgoingCallerIds.json"))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form(request))
            .send()
            .await
            .map_err(|e| CallerIdError::Unavailable(e.to_string()))?;
        let response = checked(response).await?;
        response
            .json::<Validation>()
            .await
            .map_err(|e| CallerIdError::Unavailable(format!("unreadable answer: {e}")))
    }

    /// The verified caller IDs with this number (E.164).
    pub async fn list(&self, phone_number: &str) -> Result<Vec<OutgoingCallerId>, CallerIdError> {
        let response = self
            .http
            .get(self.url("OutgoingCallerIds.json"))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .query(&[("PhoneNumber", phone_number)])
            .send()
            .await
            .map_err(|e| CallerIdError::Unavailable(e.to_string()))?;
        let page: Page = checked(response)
            .await?
            .json()
            .await
            .map_err(|e| CallerIdError::Unavailable(format!("unreadable answer: {e}")))?;
        Ok(page.outgoing_caller_ids)
    }

    /// Removes the caller ID `sid` (`PN…`); `Ok(false)` when Twilio does
    /// not know it (404).
    pub async fn delete(&self, sid: &str) -> Result<bool, CallerIdError> {
        if !is_sid(sid) {
            return Ok(false);
        }
        let response = self
            .http
            .delete(self.url(&format!("OutgoingCallerIds/{sid}.json")))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .send()
            .await
            .map_err(|e| CallerIdError::Unavailable(e.to_string()))?;
        if response.status().as_u16() == 404 {
            return Ok(false);
        }
        checked(response).await?;
        Ok(true)
    }
}

/// `PN` and 32 hex digits: safe in a URL path.
pub fn is_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("PN") && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
}

async fn checked(response: reqwest::Response) -> Result<reqwest::Response, CallerIdError> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let body: Option<TwilioError> = response.json().await.ok();
    let code = body.as_ref().and_then(|b| b.code);
    let message = body.and_then(|b| b.message).unwrap_or_default();
    tracing::warn!(status, ?code, %message, "Twilio refused a caller ID request");
    Err(CallerIdError::Refused {
        status,
        code,
        message,
    })
}

fn form(request: &ValidationRequest) -> Vec<(&'static str, String)> {
    let mut form = vec![("PhoneNumber", request.phone_number.clone())];
    if let Some(name) = &request.friendly_name {
        form.push(("FriendlyName", name.clone()));
    }
    if let Some(delay) = request.call_delay_secs {
        form.push(("CallDelay", delay.min(60).to_string()));
    }
    if let Some(callback) = &request.status_callback {
        form.push(("StatusCallback", callback.clone()));
        form.push(("StatusCallbackMethod", "POST".to_string()));
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_leaves_out_what_is_not_set() {
        let mut request = ValidationRequest {
            phone_number: "+12125550100".into(),
            friendly_name: None,
            call_delay_secs: None,
            status_callback: None,
        };
        let names: Vec<_> = form(&request).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["PhoneNumber"]);
        request.friendly_name = Some("Shop".into());
        request.call_delay_secs = Some(90);
        request.status_callback = Some("https://h.test/cb".into());
        let form = form(&request);
        assert!(form.contains(&("CallDelay", "60".into())));
        assert!(form.contains(&("StatusCallbackMethod", "POST".into())));
    }

    #[test]
    fn sids_are_checked_before_use_in_a_path() {
        assert!(is_sid("PN0123456789abcdef0123456789abcdef"));
        assert!(!is_sid("PN../../Calls"));
        assert!(!is_sid("CA0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn transient_errors() {
        let refused = |status, code| CallerIdError::Refused {
            status,
            code,
            message: String::new(),
        };
        assert!(refused(503, None).is_transient());
        assert!(refused(400, Some(20429)).is_transient());
        assert!(!refused(400, Some(21450)).is_transient());
        assert!(CallerIdError::Unavailable("x".into()).is_transient());
    }
}
