//! Fixtures for the webhook tests: a placed call as the dialer leaves it
//! (docs/dialing.md), Twilio callbacks signed by Twilio's own Python
//! library, ElevenLabs webhooks signed per its contract.

use std::io::Write;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Utc;
use heyway::integrations::elevenlabs::signature as elevenlabs_signature;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

use crate::{test_config, TestApp};

/// Twilio's auth token in these tests.
pub const TWILIO_TOKEN: &str = "test-twilio-auth-token-0001";
/// ElevenLabs' webhook secret in these tests.
pub const ELEVENLABS_SECRET: &str = "wsec_test_0001";
/// `WEBHOOK_BASE_URL` in these tests: what the dialer handed Twilio.
pub const BASE_URL: &str = "https://hooks.heyway.test";

pub const CALLER_ID: &str = "+12125550100";
pub const CONTACT_PHONE: &str = "+12125550181";

/// Settings the webhook tests run with, plus `extra`.
pub fn webhook_config(extra: &[(&str, String)]) -> heyway::Config {
    let mut pairs: Vec<(&str, String)> = vec![
        ("WEBHOOK_BASE_URL", BASE_URL.to_string()),
        (
            "TWILIO_ACCOUNT_SID",
            "AC00000000000000000000000000000000".to_string(),
        ),
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_string()),
        ("ELEVENLABS_WEBHOOK_SECRET", ELEVENLABS_SECRET.to_string()),
    ];
    pairs.extend(extra.iter().cloned());
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    test_config(&refs)
}

/// A placed call and everything around it.
#[derive(Clone, Debug)]
pub struct PlacedCall {
    pub user: ObjectId,
    pub contact: ObjectId,
    pub automation: ObjectId,
    pub scheduled_call: ObjectId,
    pub call: ObjectId,
    pub call_sid: String,
}

impl PlacedCall {
    /// A contact, an automation with 30-minute callbacks (up to 3 calls),
    /// its first scheduled call `processing` without a lease, and the call
    /// the dialer inserted (`initiated`), in `mode` with `ai_config`.
    pub async fn insert(app: &TestApp, mode: &str, ai_config: Document) -> Self {
        let user = app.user("Webhook Owner").await.id;
        let db = &app.db;
        let contact = ObjectId::new();
        db.raw("contacts")
            .insert_one(doc! {
                "_id": contact, "userId": user, "name": "Pat Example", "phoneNumber": CONTACT_PHONE,
                "email": "", "groups": [], "tags": [], "metadata": { "purchaseDate": "2026-11-22" },
                "isActive": true, "__v": 0,
            })
            .await
            .expect("contact");
        let automation = ObjectId::new();
        db.raw("automations")
            .insert_one(doc! {
                "_id": automation, "userId": user, "name": "Check-in", "description": "", "isActive": true,
                "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
                "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
                "enableCallback": true, "callbackDelayMinutes": 30, "retryCount": 3, "contacts": [contact],
                "createdAt": bson::DateTime::now(),
            })
            .await
            .expect("automation");
        let due = chrono::DateTime::parse_from_rfc3339("2026-11-29T23:00:00Z")
            .expect("due")
            .timestamp();
        let scheduled_call = ObjectId::new();
        let call = ObjectId::new();
        let session = format!(
            "5e551011-0000-4000-8000-{:012x}",
            call.timestamp().timestamp_millis()
        );
        let call_sid = format!("CA{}{}", call.to_hex(), "00000000");
        db.raw("scheduledcalls")
            .insert_one(doc! {
                "_id": scheduled_call, "userId": user,
                "recipients": [{ "phoneNumber": CONTACT_PHONE, "name": "Pat Example", "contactId": contact }],
                "notes": "", "scheduledTime": bson::DateTime::now(), "status": "processing", "retryCount": 0,
                "callMode": mode, "automationId": automation, "referenceDate": Bson::Null, "contactData": {},
                "errorMessage": "", "contactId": contact,
                "dedupeKey": format!("{}:{}:{due}:0", automation.to_hex(), contact.to_hex()),
                "callId": call, "sessionId": &session, "twilioCallSid": &call_sid,
                "createdAt": bson::DateTime::now(), "updatedAt": bson::DateTime::now(), "__v": 0,
            })
            .await
            .expect("scheduled call");
        db.raw("calls")
            .insert_one(doc! {
                "_id": call, "userId": user, "sessionId": &session, "status": "initiated",
                "callMode": mode, "automationId": automation, "scheduledCallId": scheduled_call,
                "contactId": contact,
                "participants": [{ "phoneNumber": CONTACT_PHONE, "name": "Pat Example", "contactId": contact, "role": "callee" }],
                "transcription": [], "aiConfig": ai_config, "startedAt": bson::DateTime::now(),
                "isInbound": false, "inboundData": {}, "from": CALLER_ID, "twilioCallSid": &call_sid,
                "createdAt": bson::DateTime::now(), "updatedAt": bson::DateTime::now(), "__v": 0,
            })
            .await
            .expect("call");
        Self {
            user,
            contact,
            automation,
            scheduled_call,
            call,
            call_sid,
        }
    }

    /// The `aiConfig` the dialer writes for an AI call.
    pub fn ai_config(call: Option<ObjectId>) -> Document {
        let mut variables = doc! { "customer_name": "Pat Example", "reference_date": "2026-11-22", "business_name": "Example Motors" };
        if let Some(call) = call {
            variables.insert("heyway_call_id", call.to_hex());
        }
        doc! {
            "instructions": "Ask Pat how the new car is going.",
            "useAIResponse": true,
            "dynamicVariables": variables,
        }
    }

    pub async fn call_doc(&self, app: &TestApp) -> Document {
        app.raw_doc("calls", &self.call.to_hex()).await
    }

    pub async fn scheduled_doc(&self, app: &TestApp) -> Document {
        app.raw_doc("scheduledcalls", &self.scheduled_call.to_hex())
            .await
    }

    pub async fn contact_doc(&self, app: &TestApp) -> Document {
        app.raw_doc("contacts", &self.contact.to_hex()).await
    }

    /// The scheduled calls recorded as next attempts (`retryCount` 1).
    pub async fn callbacks(&self, app: &TestApp) -> Vec<Document> {
        use futures_util::TryStreamExt;
        app.db
            .raw("scheduledcalls")
            .find(doc! { "automationId": self.automation, "retryCount": 1 })
            .await
            .expect("find")
            .try_collect()
            .await
            .expect("collect")
    }

    /// A status callback's form as Twilio sends it.
    pub fn status_form(&self, status: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut form = vec![
            ("CallSid".to_string(), self.call_sid.clone()),
            (
                "AccountSid".to_string(),
                "AC00000000000000000000000000000000".to_string(),
            ),
            ("From".to_string(), CALLER_ID.to_string()),
            ("To".to_string(), CONTACT_PHONE.to_string()),
            ("Direction".to_string(), "outbound-api".to_string()),
            ("ApiVersion".to_string(), "2010-04-01".to_string()),
        ];
        if !status.is_empty() {
            form.push(("CallStatus".to_string(), status.to_string()));
        }
        for (k, v) in extra {
            form.push((k.to_string(), v.to_string()));
        }
        form
    }
}

/// One Twilio request: the path and query it calls, its form.
#[derive(Clone, Debug)]
pub struct TwilioRequest {
    pub path_and_query: String,
    pub form: Vec<(String, String)>,
    pub signature: String,
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

const SIGNER: &str = r#"
import json, sys
from twilio.request_validator import RequestValidator
out = []
for case in json.load(sys.stdin):
    out.append(RequestValidator(case["token"]).compute_signature(case["url"], dict(case["params"])))
json.dump(out, sys.stdout)
"#;

/// Signs each `(path and query, form)` as Twilio would for a call to
/// [`BASE_URL`], with Twilio's Python library (`twilio`), the way the real
/// service's own helpers do. Without the library, our signer stands in and
/// the test says so.
pub fn twilio_signed(
    token: &str,
    requests: &[(String, Vec<(String, String)>)],
) -> Vec<TwilioRequest> {
    let cases: Vec<Value> = requests
        .iter()
        .map(|(pq, form)| json!({ "token": token, "url": format!("{BASE_URL}{pq}"), "params": form }))
        .collect();
    let child = Command::new(python())
        .args(["-c", SIGNER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let signatures: Option<Vec<String>> = child.ok().and_then(|mut child| {
        child
            .stdin
            .take()?
            .write_all(serde_json::to_string(&cases).ok()?.as_bytes())
            .ok()?;
        let output = child.wait_with_output().ok()?;
        output
            .status
            .success()
            .then(|| serde_json::from_slice(&output.stdout).ok())
            .flatten()
    });
    let signatures = signatures.unwrap_or_else(|| {
        eprintln!(
            "twilio's Python library is missing (scripts/setup installs it): signing with ours"
        );
        requests
            .iter()
            .map(|(pq, form)| {
                heyway::integrations::twilio::signature::sign(
                    token,
                    &format!("{BASE_URL}{pq}"),
                    form,
                )
            })
            .collect()
    });
    assert_eq!(signatures.len(), requests.len());
    requests
        .iter()
        .zip(signatures)
        .map(|((pq, form), signature)| TwilioRequest {
            path_and_query: pq.clone(),
            form: form.clone(),
            signature,
        })
        .collect()
}

/// Sends a Twilio request; answers the status and the body as text.
pub async fn send_twilio(
    app: &TestApp,
    request: &TwilioRequest,
) -> (StatusCode, String, Option<String>) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(request.form.iter())
        .finish();
    let http = Request::builder()
        .method("POST")
        .uri(&request.path_and_query)
        .header("host", "internal.lambda.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", &request.signature)
        .body(Body::from(body))
        .expect("request");
    send_text(app, http).await
}

/// Sends `request`; answers status, body text, content type.
pub async fn send_text(
    app: &TestApp,
    request: Request<Body>,
) -> (StatusCode, String, Option<String>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = app.router.clone().oneshot(request).await.expect("router");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        content_type,
    )
}

/// An ElevenLabs webhook request for `body`, signed at `t` with `secret`.
pub fn elevenlabs_request(body: &str, secret: &str, t: i64) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/webhooks/elevenlabs")
        .header("content-type", "application/json")
        .header(
            "elevenlabs-signature",
            elevenlabs_signature::sign(secret, t, body.as_bytes()),
        )
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// Sends `body` signed now with the test secret.
pub async fn send_elevenlabs(app: &TestApp, body: &Value) -> (StatusCode, String) {
    let (status, text, _) = send_text(
        app,
        elevenlabs_request(&body.to_string(), ELEVENLABS_SECRET, Utc::now().timestamp()),
    )
    .await;
    (status, text)
}

/// A `post_call_transcription` for `call` with the person saying `said`
/// and the agent's data collection `collected`.
pub fn post_call(call: &PlacedCall, conversation: &str, said: &[&str], collected: Value) -> Value {
    let mut transcript = vec![
        json!({"role": "agent", "message": "Hi Pat, this is Example Motors. How is the new car going?", "time_in_call_secs": 0}),
    ];
    for (i, line) in said.iter().enumerate() {
        transcript.push(json!({"role": "user", "message": line, "time_in_call_secs": 3 + i * 5}));
        transcript.push(json!({"role": "agent", "message": "Thank you for telling me.", "time_in_call_secs": 5 + i * 5}));
    }
    json!({
        "type": "post_call_transcription",
        "event_timestamp": Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_test_0001",
            "conversation_id": conversation,
            "status": "done",
            "transcript": transcript,
            "metadata": {
                "start_time_unix_secs": Utc::now().timestamp() - 60,
                "call_duration_secs": 47,
                "cost": 310,
                "termination_reason": "end_call tool was called.",
                "phone_call": { "direction": "outbound", "external_number": CONTACT_PHONE, "agent_number": CALLER_ID, "call_sid": call.call_sid, "type": "twilio" },
            },
            "analysis": {
                "call_successful": "success",
                "transcript_summary": "Pat talked about the new car.",
                "evaluation_criteria_results": {},
                "data_collection_results": collected,
            },
            "conversation_initiation_client_data": {
                "dynamic_variables": { "customer_name": "Pat Example", "heyway_call_id": call.call.to_hex() },
            },
        },
    })
}
