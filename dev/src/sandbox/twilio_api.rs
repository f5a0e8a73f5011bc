//! `POST /2010-04-01/Accounts/{sid}/Calls.json` as Twilio answers it:
//! basic auth, form fields validated with Twilio's error codes, 201 with
//! the Call, and the call played in the background.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;

use super::outcome::{self, Refused};
use super::play::{self, TwilioCall};
use super::{random_id, rfc2822_now, Sandbox};

/// Twilio's limit on inline TwiML.
const MAX_TWIML_CHARS: usize = 4000;
const EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// A Twilio error answer: `{code, message, more_info, status}`.
#[derive(Debug)]
pub(super) struct TwilioError {
    status: u16,
    code: u32,
    message: String,
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let code = self.code;
        (
            status,
            Json(json!({
                "code": code,
                "message": self.message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status.as_u16(),
            })),
        )
            .into_response()
    }
}

pub(super) fn error(status: u16, code: u32, message: &str) -> TwilioError {
    TwilioError {
        status,
        code,
        message: message.to_string(),
    }
}

fn refused(refusal: &Refused) -> TwilioError {
    error(refusal.status, refusal.code, refusal.message)
}

/// Whether the basic auth header is `account_sid:auth_token`.
pub(super) fn authenticated(headers: &HeaderMap, account_sid: &str, auth_token: &str) -> bool {
    let Some(encoded) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{account_sid}:{auth_token}");
    subtle::ConstantTimeEq::ct_eq(decoded.as_slice(), expected.as_bytes()).into()
}

fn is_http_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// The form's fields, repeated names kept in order.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            // Twilio also takes one value with several events, space separated.
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_string))
            .collect()
    }
}

fn method(value: Option<&str>) -> Result<String, TwilioError> {
    match value.map(str::to_ascii_uppercase).as_deref() {
        None | Some("POST") => Ok("POST".to_string()),
        Some("GET") => Ok("GET".to_string()),
        Some(other) => Err(error(
            400,
            21205,
            &format!("Invalid method {other}: use GET or POST"),
        )),
    }
}

/// The call `form` asks for, or Twilio's refusal.
fn read_call(form: &Form, account_sid: &str) -> Result<TwilioCall, TwilioError> {
    let to = form
        .get("To")
        .ok_or_else(|| error(400, 21201, "No 'To' number is specified"))?;
    let from = form
        .get("From")
        .ok_or_else(|| error(400, 21213, "No 'From' number is specified"))?;
    let url = form.get("Url");
    let twiml = form.get("Twiml");
    if form.get("ApplicationSid").is_some() && url.is_none() && twiml.is_none() {
        return Err(error(
            400,
            21218,
            "Invalid ApplicationSid: the sandbox has no TwiML applications; pass Url or Twiml",
        ));
    }
    match (url, twiml) {
        (None, None) => {
            return Err(error(
                400,
                21205,
                "A 'Url', 'Twiml' or 'ApplicationSid' parameter is required",
            ))
        }
        (Some(url), _) if !is_http_url(url) => {
            return Err(error(400, 21205, &format!("Url is not a valid URL: {url}")))
        }
        (_, Some(twiml)) if twiml.chars().count() > MAX_TWIML_CHARS => {
            return Err(error(400, 21205, "Twiml is longer than 4000 characters"))
        }
        _ => {}
    }
    let status_callback = form.get("StatusCallback");
    let amd_callback = form.get("AsyncAmdStatusCallback");
    for callback in [status_callback, amd_callback].into_iter().flatten() {
        if !is_http_url(callback) {
            return Err(error(
                400,
                21609,
                &format!("Invalid callback URL: {callback}"),
            ));
        }
    }
    let mut events = form.all("StatusCallbackEvent");
    if let Some(bad) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(error(
            400,
            21626,
            &format!("Invalid StatusCallbackEvent {bad}"),
        ));
    }
    if events.is_empty() {
        events.push("completed".to_string());
    }
    let wait_for_beep = form.get("MachineDetection") == Some("DetectMessageEnd");
    let machine_detection = match form.get("MachineDetection") {
        None => false,
        Some("Enable" | "DetectMessageEnd") => true,
        Some(other) => {
            return Err(error(
                400,
                21205,
                &format!("Invalid MachineDetection {other}: use Enable or DetectMessageEnd"),
            ))
        }
    };
    let async_amd = match form.get("AsyncAmd") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(error(
                400,
                21205,
                &format!("Invalid AsyncAmd {other}: use true or false"),
            ))
        }
    };
    if let Some(timeout) = form.get("Timeout") {
        if timeout.parse::<u32>().is_err() {
            return Err(error(
                400,
                21205,
                &format!("Invalid Timeout {timeout}: a whole number of seconds"),
            ));
        }
    }
    if !outcome::is_e164(to) {
        return Err(error(
            400,
            21211,
            &format!("Invalid 'To' Phone Number: {to}"),
        ));
    }
    if !outcome::is_e164(from) {
        return Err(error(
            400,
            21212,
            &format!("Invalid 'From' Phone Number: {from}"),
        ));
    }
    let outcome = outcome::for_number(to).map_err(|r| refused(&r))?;
    Ok(TwilioCall {
        sid: random_id("CA", 32),
        account_sid: account_sid.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        url: url.map(str::to_string),
        method: method(form.get("Method"))?,
        twiml: twiml.map(str::to_string),
        status_callback: status_callback.map(str::to_string),
        status_callback_method: method(form.get("StatusCallbackMethod"))?,
        events,
        machine_detection,
        wait_for_beep,
        async_amd: async_amd && machine_detection,
        amd_callback: amd_callback.map(str::to_string),
        amd_callback_method: method(form.get("AsyncAmdStatusCallbackMethod"))?,
        outcome,
    })
}

/// The Call resource Twilio answers when it accepts a call.
fn call_json(call: &TwilioCall) -> serde_json::Value {
    let now = rfc2822_now();
    let uri = format!(
        "/2010-04-01/Accounts/{}/Calls/{}",
        call.account_sid, call.sid
    );
    json!({
        "account_sid": call.account_sid,
        "annotation": null,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": now,
        "date_updated": now,
        "direction": "outbound-api",
        "duration": null,
        "end_time": null,
        "forwarded_from": null,
        "from": call.from,
        "from_formatted": call.from,
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": call.sid,
        "start_time": null,
        "status": "queued",
        "subresource_uris": {
            "notifications": format!("{uri}/Notifications.json"),
            "recordings": format!("{uri}/Recordings.json"),
            "events": format!("{uri}/Events.json"),
        },
        "to": call.to,
        "to_formatted": call.to,
        "trunk_sid": null,
        "uri": format!("{uri}.json"),
    })
}

pub(super) async fn create_call(
    State(sandbox): State<Sandbox>,
    Path(account_sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let settings = sandbox.settings();
    if !authenticated(&headers, &settings.account_sid, &settings.auth_token) {
        return error(401, 20003, "Authenticate").into_response();
    }
    if account_sid != settings.account_sid {
        return error(
            404,
            20404,
            &format!(
                "The requested resource /2010-04-01/Accounts/{account_sid}/Calls.json was not found"
            ),
        )
        .into_response();
    }
    let form = Form(
        form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    );
    let call = match read_call(&form, &account_sid) {
        Ok(call) => call,
        Err(error) => return error.into_response(),
    };
    let answer = call_json(&call);
    tracing::info!(sid = %call.sid, to = %call.to, outcome = ?call.outcome, "sandbox: Twilio call accepted");
    play::start_twilio_call(sandbox.clone(), call);
    (StatusCode::CREATED, Json(answer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn code(pairs: &[(&str, &str)]) -> Option<u16> {
        read_call(&form(pairs), "AC1").err().map(|e| e.status)
    }

    #[test]
    fn reads_a_full_request() {
        let call = read_call(
            &form(&[
                ("To", "+12125550103"),
                ("From", "+15005550006"),
                (
                    "Url",
                    "http://127.0.0.1:3000/webhooks/twilio/voice?callId=1",
                ),
                ("StatusCallback", "http://127.0.0.1:3000/s"),
                ("StatusCallbackEvent", "initiated"),
                ("StatusCallbackEvent", "completed"),
                ("MachineDetection", "Enable"),
                ("AsyncAmd", "true"),
                ("AsyncAmdStatusCallback", "http://127.0.0.1:3000/s"),
            ]),
            "AC1",
        )
        .unwrap();
        assert_eq!(call.events, ["initiated", "completed"]);
        assert!(call.machine_detection && call.async_amd && !call.wait_for_beep);
        assert_eq!(call.outcome, super::super::Outcome::Voicemail);
        assert!(call.sid.starts_with("CA") && call.sid.len() == 34);
        assert_eq!(call.method, "POST");
        let json = call_json(&call);
        assert_eq!(json["status"], "queued");
        assert_eq!(json["direction"], "outbound-api");
    }

    #[test]
    fn refuses_like_twilio() {
        let base = [("From", "+15005550006"), ("Url", "https://x.test/t")];
        assert_eq!(code(&base), Some(400));
        let with = |to: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push(("To", to));
            pairs
        };
        assert!(code(&with("+12125550100")).is_none());
        assert_eq!(code(&with("555-0100")), Some(400));
        let mut bad_event = with("+12125550100");
        bad_event.push(("StatusCallbackEvent", "hungup"));
        assert_eq!(code(&bad_event), Some(400));
        let no_script = [("To", "+12125550100"), ("From", "+15005550006")];
        assert_eq!(code(&no_script), Some(400));
        let events = read_call(&form(&with("+12125550100")), "AC1")
            .unwrap()
            .events;
        assert_eq!(events, ["completed"]);
    }

    #[test]
    fn basic_auth_must_match() {
        let mut headers = HeaderMap::new();
        assert!(!authenticated(&headers, "AC1", "tok"));
        let good = base64::engine::general_purpose::STANDARD.encode("AC1:tok");
        headers.insert("authorization", format!("Basic {good}").parse().unwrap());
        assert!(authenticated(&headers, "AC1", "tok"));
        assert!(!authenticated(&headers, "AC1", "other"));
    }
}
