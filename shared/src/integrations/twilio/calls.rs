//! Twilio Programmable Voice: placing an outbound call.
//!
//! `POST /2010-04-01/Accounts/{AC…}/Calls.json`, form-encoded with basic
//! auth, answers 201 with the Call. A refusal is sorted into "try again
//! later" (Twilio busy, rate limited, unreachable) and "this call will never
//! go through as asked" (bad number, unverified caller ID, blocked), so the
//! dialer knows whether to retry and what to tell the business owner.

use serde::Deserialize;

use crate::infra::config::TwilioConfig;

/// Twilio's limit on inline TwiML.
pub const MAX_TWIML_CHARS: usize = 4000;

/// The call progress events we ask Twilio to report, in order.
pub const STATUS_CALLBACK_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// Places calls from one Twilio account.
#[derive(Clone, Debug)]
pub struct CallsClient {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
}

/// What the call plays once answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallScript {
    /// Twilio fetches TwiML from this URL when the call is answered.
    Url(String),
    /// Inline TwiML, at most [`MAX_TWIML_CHARS`] characters.
    Twiml(String),
}

/// One outbound call to place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceCall {
    /// The contact's number, E.164.
    pub to: String,
    /// The caller ID: a Twilio number or a verified outgoing caller ID.
    pub from: String,
    pub script: CallScript,
    /// Receives `initiated`, `ringing`, `answered` and `completed` (POST).
    pub status_callback: Option<String>,
    /// When set, asynchronous answering-machine detection runs and reports
    /// `AnsweredBy` here, without delaying the start of the call.
    pub amd_status_callback: Option<String>,
    /// Seconds to let the phone ring; Twilio's default is 60.
    pub timeout_secs: Option<u32>,
    /// Voicemail drop: synchronous detection that waits for the end of a
    /// machine's greeting (`MachineDetection=DetectMessageEnd`, no
    /// `AsyncAmd`), so Twilio fetches `Url` with `AnsweredBy`
    /// (`machine_end_beep`, …) once the beep has sounded; a person is
    /// reported as soon as detected. Takes the place of
    /// `amd_status_callback`.
    pub wait_for_beep: bool,
}

/// The call Twilio accepted.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PlacedCall {
    /// `CA…`.
    pub sid: String,
    /// `queued` at first, usually.
    pub status: String,
}

/// Why Twilio refused a call for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 21210: `From` is not a Twilio number nor a verified caller ID.
    UnverifiedCallerId,
    /// 21211, 21217: `To` is not a valid phone number.
    InvalidNumber,
    /// 21214: the number cannot be reached.
    Unreachable,
    /// 21215: the account may not call that country or region.
    NoGeoPermission,
    /// 21216: the number is blocked by Twilio.
    Blocked,
    /// 401/403: our credentials or account; no call will go through.
    Account,
    /// Any other refusal.
    Other,
}

impl Refusal {
    /// The refusal a Twilio error code and HTTP status mean.
    pub fn from_code(code: Option<i64>, status: u16) -> Self {
        match code {
            Some(21210) => Self::UnverifiedCallerId,
            Some(21211 | 21217) => Self::InvalidNumber,
            Some(21214) => Self::Unreachable,
            Some(21215) => Self::NoGeoPermission,
            Some(21216) => Self::Blocked,
            _ if matches!(status, 401 | 403) => Self::Account,
            _ => Self::Other,
        }
    }
}

/// A call that was not placed, or whose placement is uncertain.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Not placed this time, may be placed later: Twilio failed (5xx), was
    /// rate limited (429, 20429) or could not be reached. A timeout after
    /// the request was sent may hide a placed call; Twilio has no
    /// idempotency key, so the dialer should check before redialing.
    #[error("Twilio could not place the call now: {reason}")]
    Transient {
        status: Option<u16>,
        code: Option<i64>,
        reason: String,
        /// From `Retry-After`, when Twilio sent one.
        retry_after_secs: Option<u64>,
    },
    /// Twilio refused this call; retrying it unchanged will not help.
    #[error("Twilio refused the call ({status}, code {code:?}): {message}")]
    Refused {
        refusal: Refusal,
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// We built a call Twilio would refuse (TwiML too long, say).
    #[error("invalid call: {0}")]
    Invalid(String),
    /// Twilio accepted the call but its answer was unreadable: the call
    /// probably exists, so it must not be retried blindly.
    #[error("Twilio accepted the call but answered unreadably: {0}")]
    Unconfirmed(String),
}

impl CallError {
    /// Whether trying the same call again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Twilio's error code, when it gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::Transient { code, .. } | Self::Refused { code, .. } => *code,
            Self::Invalid(_) | Self::Unconfirmed(_) => None,
        }
    }

    /// What went wrong in words for the business owner, shown next to the
    /// failed call; no codes, no jargon.
    pub fn owner_message(&self) -> String {
        let text = match self {
            Self::Transient { .. } => {
                "The phone service was busy, so this call could not be placed right now. We will try again shortly."
            }
            Self::Refused { refusal, .. } => match refusal {
                Refusal::UnverifiedCallerId => {
                    "Your caller ID is not verified with Twilio. Please verify it again before making calls."
                }
                Refusal::InvalidNumber => {
                    "This contact's phone number is not valid. Please check it and correct it."
                }
                Refusal::Unreachable => {
                    "This contact's phone number cannot be reached. It may be disconnected or unable to receive calls."
                }
                Refusal::NoGeoPermission => {
                    "Calls to this contact's country or region are not enabled for your account."
                }
                Refusal::Blocked => {
                    "Calls to this phone number are blocked by the phone service."
                }
                Refusal::Account => {
                    "The call could not be placed because of a problem with our phone service account. Our team has been notified."
                }
                Refusal::Other => "The phone service refused this call.",
            },
            Self::Invalid(_) => {
                "This call could not be placed because its message is too long or incomplete."
            }
            Self::Unconfirmed(_) => {
                "The phone service accepted this call but did not confirm it. Please check the call history before calling again."
            }
        };
        text.to_string()
    }
}

#[derive(Debug, Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

impl CallsClient {
    /// The client, when the account is configured.
    pub fn from_config(http: reqwest::Client, config: &TwilioConfig) -> Option<Self> {
        Some(Self {
            http,
            base_url: config.api_base_url.trim_end_matches('/').to_string(),
            account_sid: config.account_sid.clone()?,
            auth_token: config.auth_token.clone()?,
        })
    }

    /// Asks Twilio to place `request`.
    pub async fn place_call(&self, request: &PlaceCall) -> Result<PlacedCall, CallError> {
        let form = form(request)?;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Calls.json",
            self.base_url, self.account_sid
        );
        let response = self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(send_error)?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return response
                .json::<PlacedCall>()
                .await
                .map_err(|e| CallError::Unconfirmed(e.to_string()));
        }
        let retry_after_secs = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body: Option<TwilioError> = response.json().await.ok();
        let code = body.as_ref().and_then(|b| b.code);
        let message = body.and_then(|b| b.message).unwrap_or_default();
        tracing::warn!(status, ?code, %message, "Twilio refused a call");
        Err(classify(status, code, message, retry_after_secs))
    }
}

/// A Twilio error answer as a [`CallError`].
/// A request that never reached Twilio (no connection) is safe to retry;
/// one that may have (timed out waiting for the answer) is not: Twilio may
/// have placed the call, and dialing again could ring the person twice.
fn send_error(error: reqwest::Error) -> CallError {
    if error.is_connect() || error.is_builder() {
        CallError::Transient {
            status: None,
            code: None,
            reason: format!("Twilio is unreachable: {error}"),
            retry_after_secs: None,
        }
    } else {
        CallError::Unconfirmed(format!("no answer from Twilio: {error}"))
    }
}

fn classify(
    status: u16,
    code: Option<i64>,
    message: String,
    retry_after_secs: Option<u64>,
) -> CallError {
    // 429 and 20429: not processed, safe to retry with backoff.
    if status >= 500 || status == 429 || code == Some(20429) {
        CallError::Transient {
            status: Some(status),
            code,
            reason: if message.is_empty() {
                format!("HTTP {status}")
            } else {
                message
            },
            retry_after_secs,
        }
    } else {
        CallError::Refused {
            refusal: Refusal::from_code(code, status),
            status,
            code,
            message,
        }
    }
}

/// The form fields of `request`, `StatusCallbackEvent` once per event.
fn form(request: &PlaceCall) -> Result<Vec<(&'static str, String)>, CallError> {
    if request.to.trim().is_empty() || request.from.trim().is_empty() {
        return Err(CallError::Invalid("To and From are required".to_string()));
    }
    let mut form = vec![("To", request.to.clone()), ("From", request.from.clone())];
    match &request.script {
        CallScript::Url(url) => form.push(("Url", url.clone())),
        CallScript::Twiml(twiml) => {
            let chars = twiml.chars().count();
            if chars > MAX_TWIML_CHARS {
                return Err(CallError::Invalid(format!(
                    "TwiML is {chars} characters; Twilio takes at most {MAX_TWIML_CHARS}"
                )));
            }
            form.push(("Twiml", twiml.clone()));
        }
    }
    if let Some(callback) = &request.status_callback {
        form.push(("StatusCallback", callback.clone()));
        form.push(("StatusCallbackMethod", "POST".to_string()));
        for event in STATUS_CALLBACK_EVENTS {
            form.push(("StatusCallbackEvent", event.to_string()));
        }
    }
    if request.wait_for_beep {
        form.push(("MachineDetection", "DetectMessageEnd".to_string()));
    } else if let Some(callback) = &request.amd_status_callback {
        form.push(("MachineDetection", "Enable".to_string()));
        form.push(("AsyncAmd", "true".to_string()));
        form.push(("AsyncAmdStatusCallback", callback.clone()));
        form.push(("AsyncAmdStatusCallbackMethod", "POST".to_string()));
    }
    if let Some(timeout) = request.timeout_secs {
        form.push(("Timeout", timeout.to_string()));
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PlaceCall {
        PlaceCall {
            to: "+15005550006".into(),
            from: "+15005550006".into(),
            script: CallScript::Url("https://hooks.test/twiml".into()),
            status_callback: Some("https://hooks.test/status".into()),
            amd_status_callback: Some("https://hooks.test/amd".into()),
            timeout_secs: Some(30),
            wait_for_beep: false,
        }
    }

    #[test]
    fn form_repeats_status_callback_event() {
        let form = form(&request()).unwrap();
        let events: Vec<_> = form
            .iter()
            .filter(|(k, _)| *k == "StatusCallbackEvent")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(events, ["initiated", "ringing", "answered", "completed"]);
        assert!(form.contains(&("MachineDetection", "Enable".into())));
        assert!(form.contains(&("AsyncAmd", "true".into())));
        assert!(form.contains(&("Timeout", "30".into())));
    }

    #[test]
    fn voicemail_drop_waits_for_the_beep_synchronously() {
        let mut drop = request();
        drop.wait_for_beep = true;
        let form = form(&drop).unwrap();
        assert!(form.contains(&("MachineDetection", "DetectMessageEnd".into())));
        let names: Vec<_> = form.iter().map(|(k, _)| *k).collect();
        assert!(!names.contains(&"AsyncAmd"), "{names:?}");
        assert!(!names.contains(&"AsyncAmdStatusCallback"), "{names:?}");
        assert_eq!(
            names.iter().filter(|k| **k == "MachineDetection").count(),
            1
        );
    }

    #[test]
    fn optional_fields_are_left_out() {
        let mut bare = request();
        bare.status_callback = None;
        bare.amd_status_callback = None;
        bare.timeout_secs = None;
        bare.script = CallScript::Twiml("<Response><Say>Hi</Say></Response>".into());
        let names: Vec<_> = form(&bare).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["To", "From", "Twiml"]);
    }

    #[test]
    fn long_twiml_is_refused_before_sending() {
        let mut long = request();
        long.script = CallScript::Twiml("x".repeat(MAX_TWIML_CHARS + 1));
        let err = form(&long).unwrap_err();
        assert!(matches!(err, CallError::Invalid(_)));
        assert!(!err.is_transient());
    }

    #[test]
    fn classifies_twilio_errors() {
        let refusal = |code, status| match classify(status, Some(code), String::new(), None) {
            CallError::Refused { refusal, .. } => Some(refusal),
            _ => None,
        };
        assert_eq!(refusal(21210, 400), Some(Refusal::UnverifiedCallerId));
        assert_eq!(refusal(21211, 400), Some(Refusal::InvalidNumber));
        assert_eq!(refusal(21217, 400), Some(Refusal::InvalidNumber));
        assert_eq!(refusal(21214, 400), Some(Refusal::Unreachable));
        assert_eq!(refusal(21215, 400), Some(Refusal::NoGeoPermission));
        assert_eq!(refusal(21216, 400), Some(Refusal::Blocked));
        assert_eq!(refusal(20003, 401), Some(Refusal::Account));
        assert_eq!(refusal(21205, 400), Some(Refusal::Other));
        assert!(classify(429, None, String::new(), Some(1)).is_transient());
        assert!(classify(400, Some(20429), String::new(), None).is_transient());
        assert!(classify(503, None, String::new(), None).is_transient());
        assert!(!classify(404, Some(20404), String::new(), None).is_transient());
    }

    #[test]
    fn owner_messages_speak_plainly() {
        let err = classify(400, Some(21210), "unverified".into(), None);
        assert_eq!(
            err.owner_message(),
            "Your caller ID is not verified with Twilio. Please verify it again before making calls."
        );
        assert_eq!(err.code(), Some(21210));
        let busy = classify(503, None, String::new(), None);
        assert!(busy.owner_message().contains("try again"));
    }
}
