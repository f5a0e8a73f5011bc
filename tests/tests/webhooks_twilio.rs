//! Twilio's webhooks: status callbacks onto the call and its scheduled
//! call, and the voice TwiML per call mode. Every request is signed by
//! Twilio's own Python library against the public URL the dialer handed
//! out (`WEBHOOK_BASE_URL`), while the request itself arrives with an
//! internal Host, as behind a function URL.

use axum::http::StatusCode;
use heyway_tests::elevenlabs_api::{self, FakeElevenLabs};
use heyway_tests::webhooks::{
    send_twilio, twilio_signed, webhook_config, PlacedCall, TwilioRequest, CALLER_ID,
    CONTACT_PHONE, TWILIO_TOKEN,
};
use heyway_tests::TestApp;
use mongodb::bson::{doc, Bson, Document};

async fn app() -> TestApp {
    TestApp::with_config(webhook_config(&[])).await
}

async fn recording_call(app: &TestApp) -> PlacedCall {
    PlacedCall::insert(
        app,
        "recording",
        doc! { "audioUrl": "https://cdn.example.test/hello.mp3", "useAIResponse": false },
    )
    .await
}

/// Status callbacks for `call`, each `(CallStatus, extra fields)`, signed.
fn callbacks(call: &PlacedCall, steps: &[(&str, &[(&str, &str)])]) -> Vec<TwilioRequest> {
    let requests: Vec<_> = steps
        .iter()
        .map(|(status, extra)| {
            (
                format!("/webhooks/twilio/status?callId={}", call.call.to_hex()),
                call.status_form(status, extra),
            )
        })
        .collect();
    twilio_signed(TWILIO_TOKEN, &requests)
}

async fn deliver(app: &TestApp, requests: &[TwilioRequest]) {
    for request in requests {
        let (status, body, _) = send_twilio(app, request).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{request:?}: {body}");
    }
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    let app = app().await;
    let call = recording_call(&app).await;
    let before = (call.call_doc(&app).await, call.scheduled_doc(&app).await);
    let good = callbacks(&call, &[("no-answer", &[])]).remove(0);

    let mut missing = good.clone();
    missing.signature = String::new();
    let mut wrong_token = twilio_signed(
        "another-token",
        &[(good.path_and_query.clone(), good.form.clone())],
    )
    .remove(0);
    // Signed for another URL (another call), replayed here.
    let other = twilio_signed(
        TWILIO_TOKEN,
        &[(
            "/webhooks/twilio/status?callId=6a0000000000000000000009".to_string(),
            good.form.clone(),
        )],
    )
    .remove(0);
    let mut replayed = good.clone();
    replayed.signature = other.signature;
    // A changed field breaks the signature.
    let mut tampered = good.clone();
    tampered.form.push(("CallDuration".into(), "600".into()));
    for request in [&missing, &wrong_token, &replayed, &tampered] {
        let (status, body, _) = send_twilio(&app, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{request:?}: {body}");
    }
    // The voice webhook checks the same way.
    wrong_token.path_and_query = format!("/webhooks/twilio/voice?callId={}", call.call.to_hex());
    let (status, _, _) = send_twilio(&app, &wrong_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        (call.call_doc(&app).await, call.scheduled_doc(&app).await),
        before
    );
    assert!(call.callbacks(&app).await.is_empty());

    // The good one goes through.
    deliver(&app, &[good]).await;
    assert_eq!(
        call.call_doc(&app).await.get_str("status").unwrap(),
        "no-answer"
    );
}

#[tokio::test]
async fn no_answer_in_order_fails_the_scheduled_call_and_calls_back_once() {
    let app = app().await;
    let call = recording_call(&app).await;
    let requests = callbacks(
        &call,
        &[
            ("initiated", &[]),
            ("ringing", &[]),
            (
                "no-answer",
                &[
                    ("CallDuration", "0"),
                    ("Timestamp", "Sun, 29 Nov 2026 23:01:00 +0000"),
                ],
            ),
        ],
    );
    deliver(&app, &requests[..2]).await;
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "ringing");
    assert!(stored.get("endedAt").is_none());
    assert_eq!(
        call.scheduled_doc(&app).await.get_str("status").unwrap(),
        "processing"
    );

    deliver(&app, &requests[2..]).await;
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "no-answer");
    assert_eq!(
        stored.get_datetime("endedAt").unwrap().to_chrono(),
        "2026-11-29T23:01:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    assert_eq!(
        stored.get_document("metrics").unwrap().get("duration"),
        Some(&Bson::Int32(0))
    );
    let scheduled = call.scheduled_doc(&app).await;
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert_eq!(
        scheduled.get_str("errorMessage").unwrap(),
        "Nobody answered."
    );
    assert!(scheduled.get("leaseUntil").is_none());
    let next = call.callbacks(&app).await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0].get_str("status").unwrap(), "pending");

    // Delivered again: nothing more.
    deliver(&app, &requests).await;
    assert_eq!(call.callbacks(&app).await.len(), 1);
    assert_eq!(
        call.call_doc(&app).await.get_str("status").unwrap(),
        "no-answer"
    );
}

#[tokio::test]
async fn reversed_callbacks_end_in_the_final_status() {
    let app = app().await;
    let call = recording_call(&app).await;
    let requests = callbacks(
        &call,
        &[
            (
                "completed",
                &[("CallDuration", "42"), ("AnsweredBy", "human")],
            ),
            ("in-progress", &[]),
            ("ringing", &[]),
            ("initiated", &[]),
        ],
    );
    deliver(&app, &requests).await;
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "completed");
    assert_eq!(stored.get_str("answeredBy").unwrap(), "human");
    assert_eq!(
        stored
            .get_document("metrics")
            .unwrap()
            .get_i32("duration")
            .unwrap(),
        42
    );
    let scheduled = call.scheduled_doc(&app).await;
    assert_eq!(scheduled.get_str("status").unwrap(), "completed");
    assert!(call.callbacks(&app).await.is_empty());
}

#[tokio::test]
async fn the_first_final_status_stays_and_one_callback_is_asked() {
    let app = app().await;
    let call = recording_call(&app).await;
    let requests = callbacks(
        &call,
        &[
            ("ringing", &[]),
            ("busy", &[("CallDuration", "0")]),
            ("busy", &[("CallDuration", "0")]),
            ("completed", &[("CallDuration", "30")]),
            ("busy", &[]),
        ],
    );
    deliver(&app, &requests).await;
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "busy");
    assert_eq!(
        stored
            .get_document("metrics")
            .unwrap()
            .get_i32("duration")
            .unwrap(),
        0
    );
    let scheduled = call.scheduled_doc(&app).await;
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert_eq!(
        scheduled.get_str("errorMessage").unwrap(),
        "The line was busy."
    );
    assert_eq!(call.callbacks(&app).await.len(), 1);
}

#[tokio::test]
async fn concurrent_final_callbacks_call_back_once() {
    let app = app().await;
    let call = recording_call(&app).await;
    let none: &[(&str, &str)] = &[];
    let requests = callbacks(&call, &[("no-answer", none); 6]);
    let sends = requests.iter().map(|r| send_twilio(&app, r));
    for (status, body, _) in futures_util::future::join_all(sends).await {
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    assert_eq!(call.callbacks(&app).await.len(), 1);
    assert_eq!(
        call.scheduled_doc(&app).await.get_str("status").unwrap(),
        "failed"
    );
}

#[tokio::test]
async fn a_machine_answer_fails_and_calls_back() {
    let app = app().await;
    let call = recording_call(&app).await;
    let requests = callbacks(
        &call,
        &[
            ("in-progress", &[]),
            // AsyncAmdStatusCallback: AnsweredBy, no CallStatus.
            (
                "",
                &[
                    ("AnsweredBy", "machine_end_beep"),
                    ("MachineDetectionDuration", "2100"),
                ],
            ),
            ("completed", &[("CallDuration", "25")]),
        ],
    );
    deliver(&app, &requests[..2]).await;
    let stored = call.call_doc(&app).await;
    assert_eq!(stored.get_str("status").unwrap(), "in-progress");
    assert_eq!(stored.get_str("answeredBy").unwrap(), "machine_end_beep");
    assert_eq!(
        call.scheduled_doc(&app).await.get_str("status").unwrap(),
        "processing"
    );

    deliver(&app, &requests[2..]).await;
    assert_eq!(
        call.call_doc(&app).await.get_str("status").unwrap(),
        "completed"
    );
    let scheduled = call.scheduled_doc(&app).await;
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert!(scheduled
        .get_str("errorMessage")
        .unwrap()
        .contains("answering machine"));
    assert_eq!(call.callbacks(&app).await.len(), 1);
}

/// The final `completed` callback, timed, and the answering-machine
/// callback (`AsyncAmdStatusCallback`: `AnsweredBy`, no `CallStatus`),
/// which Twilio does not order with the status callbacks.
fn completed_and_machine(call: &PlacedCall) -> (TwilioRequest, TwilioRequest) {
    let mut requests = callbacks(
        call,
        &[
            (
                "completed",
                &[
                    ("CallDuration", "25"),
                    ("Timestamp", "Sun, 29 Nov 2026 23:05:00 +0000"),
                ],
            ),
            (
                "",
                &[
                    ("AnsweredBy", "machine_start"),
                    ("MachineDetectionDuration", "3100"),
                ],
            ),
        ],
    );
    let machine = requests.remove(1);
    (requests.remove(0), machine)
}

/// What a call ended as: its record, its scheduled call and the next
/// attempts, without ids and write stamps, to compare two calls.
async fn end_state(app: &TestApp, call: &PlacedCall) -> Document {
    let stored = call.call_doc(app).await;
    let scheduled = call.scheduled_doc(app).await;
    let next: Vec<Document> = call
        .callbacks(app)
        .await
        .iter()
        .map(|next| {
            doc! {
                "status": next.get("status").cloned(),
                "scheduledTime": next.get("scheduledTime").cloned(),
                "retryCount": next.get("retryCount").cloned(),
            }
        })
        .collect();
    doc! {
        "status": stored.get("status").cloned(),
        "answeredBy": stored.get("answeredBy").cloned(),
        "endedAt": stored.get("endedAt").cloned(),
        "duration": stored.get_document("metrics").ok().and_then(|m| m.get("duration")).cloned(),
        "billedMinutes": stored.get("billedMinutes").cloned(),
        "scheduledStatus": scheduled.get("status").cloned(),
        "errorMessage": scheduled.get("errorMessage").cloned(),
        "next": next,
    }
}

#[tokio::test]
async fn a_machine_reported_after_completed_ends_the_call_as_one_reported_before() {
    let app = app().await;
    let early = recording_call(&app).await;
    let late = recording_call(&app).await;
    let answered = |call: &PlacedCall| callbacks(call, &[("in-progress", &[])]);

    let (completed, machine) = completed_and_machine(&early);
    deliver(&app, &answered(&early)).await;
    deliver(&app, &[machine, completed]).await;

    let (completed, machine) = completed_and_machine(&late);
    deliver(&app, &answered(&late)).await;
    deliver(&app, &[completed]).await;
    // As far as anyone knows yet, a person answered.
    assert_eq!(
        late.scheduled_doc(&app).await.get_str("status").unwrap(),
        "completed"
    );
    assert!(late.callbacks(&app).await.is_empty());
    deliver(&app, std::slice::from_ref(&machine)).await;

    let end = end_state(&app, &late).await;
    assert_eq!(end, end_state(&app, &early).await);
    assert_eq!(end.get_str("status").unwrap(), "completed");
    assert_eq!(end.get_str("answeredBy").unwrap(), "machine_start");
    assert_eq!(end.get_str("scheduledStatus").unwrap(), "failed");
    assert!(end
        .get_str("errorMessage")
        .unwrap()
        .contains("answering machine"));
    let next = end.get_array("next").unwrap();
    assert_eq!(next.len(), 1, "{next:?}");
    // 30 minutes after the call ended, by the automation's callback rule.
    assert_eq!(
        next[0]
            .as_document()
            .unwrap()
            .get_datetime("scheduledTime")
            .unwrap()
            .to_chrono(),
        "2026-11-29T23:35:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    );
    // A voicemail still took Twilio's minutes: billed like any completed call.
    assert_eq!(end.get_f64("billedMinutes").unwrap(), 0.42);

    // The late callback again, and everything else again: nothing moves.
    let before = (
        late.call_doc(&app).await,
        late.scheduled_doc(&app).await,
        late.callbacks(&app).await,
    );
    let (completed, _) = completed_and_machine(&late);
    deliver(&app, &[machine.clone(), completed, machine]).await;
    deliver(&app, &answered(&late)).await;
    assert_eq!(
        (
            late.call_doc(&app).await,
            late.scheduled_doc(&app).await,
            late.callbacks(&app).await,
        ),
        before
    );
}

#[tokio::test]
async fn a_late_machine_answer_calls_back_once_even_against_a_cancelled_next_attempt() {
    let app = app().await;
    let call = recording_call(&app).await;
    let (completed, machine) = completed_and_machine(&call);
    deliver(&app, &[completed.clone(), machine.clone()]).await;
    let next = call.callbacks(&app).await;
    assert_eq!(next.len(), 1);

    // The owner cancels the next attempt; Twilio repeats its callbacks.
    let owner = heyway_tests::TestUser {
        id: call.user,
        token: app.state.tokens.issue(call.user).unwrap(),
    };
    let id = next[0].get_object_id("_id").unwrap();
    let (status, body) = app
        .delete(&format!("/api/scheduled-calls/{id}"), &owner)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = (call.call_doc(&app).await, call.scheduled_doc(&app).await);
    deliver(&app, &[machine, completed]).await;
    let next = call.callbacks(&app).await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0].get_str("status").unwrap(), "cancelled");
    assert_eq!(
        (call.call_doc(&app).await, call.scheduled_doc(&app).await),
        before
    );
}

#[tokio::test]
async fn completed_and_machine_at_once_end_failed_with_one_callback() {
    let app = app().await;
    let call = recording_call(&app).await;
    let (completed, machine) = completed_and_machine(&call);
    let requests = [&completed, &machine, &completed, &machine, &machine];
    let sends = requests.iter().map(|r| send_twilio(&app, r));
    for (status, body, _) in futures_util::future::join_all(sends).await {
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let scheduled = call.scheduled_doc(&app).await;
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert_eq!(call.callbacks(&app).await.len(), 1);
    assert_eq!(
        call.call_doc(&app).await.get_str("answeredBy").unwrap(),
        "machine_start"
    );
}

#[tokio::test]
async fn unknown_calls_and_malformed_callbacks_are_refused() {
    let app = app().await;
    let call = recording_call(&app).await;
    let before = call.call_doc(&app).await;
    let form = call.status_form("completed", &[]);
    let cases = [
        (
            "/webhooks/twilio/status?callId=6a0000000000000000000009".to_string(),
            form.clone(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/webhooks/twilio/status".to_string(),
            form.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/webhooks/twilio/status?callId=nope".to_string(),
            form.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/webhooks/twilio/status?callId={}", call.call.to_hex()),
            call.status_form("exploded", &[]),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/webhooks/twilio/status?callId={}", call.call.to_hex()),
            call.status_form("completed", &[("CallDuration", "a while")]),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!(
                "/webhooks/twilio/voice?callId={}",
                "6a0000000000000000000009"
            ),
            form.clone(),
            StatusCode::NOT_FOUND,
        ),
    ];
    let requests: Vec<_> = cases
        .iter()
        .map(|(pq, f, _)| (pq.clone(), f.clone()))
        .collect();
    for (request, (_, _, expected)) in twilio_signed(TWILIO_TOKEN, &requests).iter().zip(&cases) {
        let (status, body, _) = send_twilio(&app, request).await;
        assert_eq!(status, *expected, "{request:?}: {body}");
    }
    assert_eq!(call.call_doc(&app).await, before);
}

async fn voice(app: &TestApp, call: &PlacedCall) -> String {
    let request = twilio_signed(
        TWILIO_TOKEN,
        &[(
            format!("/webhooks/twilio/voice?callId={}", call.call.to_hex()),
            call.status_form("in-progress", &[]),
        )],
    )
    .remove(0);
    let (status, body, content_type) = send_twilio(app, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.unwrap_or_default().starts_with("text/xml"));
    body
}

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[tokio::test]
async fn recording_calls_play_or_say() {
    let app = app().await;
    let played = recording_call(&app).await;
    assert_eq!(
        voice(&app, &played).await,
        format!(
            "{DECLARATION}<Response><Play>https://cdn.example.test/hello.mp3</Play></Response>"
        )
    );
    let said = PlacedCall::insert(
        &app,
        "recording",
        doc! { "messageText": "Hi Pat, it's Example Motors & Sons <3", "useAIResponse": false },
    )
    .await;
    assert_eq!(
        voice(&app, &said).await,
        format!("{DECLARATION}<Response><Say>Hi Pat, it&apos;s Example Motors &amp; Sons &lt;3</Say></Response>")
    );
}

async fn ai_app(fake: &FakeElevenLabs) -> TestApp {
    TestApp::with_config(webhook_config(&fake.config())).await
}

fn ai_config(call_hex: Option<String>, audio: bool) -> Document {
    let mut config = PlacedCall::ai_config(None);
    config.insert("voiceId", "voice_test_0001");
    if let Some(hex) = call_hex {
        config
            .get_document_mut("dynamicVariables")
            .unwrap()
            .insert("heyway_call_id", hex);
    }
    if audio {
        config.insert("audioUrl", "https://cdn.example.test/intro.mp3?v=1&lang=en");
    }
    config
}

#[tokio::test]
async fn ai_calls_connect_to_the_agent() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let call = PlacedCall::insert(&app, "ai-only", ai_config(None, false)).await;
    assert_eq!(voice(&app, &call).await, elevenlabs_api::TWIML);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let (path, body) = &requests[0];
    assert_eq!(path, "register-call");
    assert_eq!(body["from_number"], CALLER_ID);
    assert_eq!(body["to_number"], CONTACT_PHONE);
    assert_eq!(body["direction"], "outbound");
    let data = &body["conversation_initiation_client_data"];
    assert_eq!(data["dynamic_variables"]["customer_name"], "Pat Example");
    assert_eq!(
        data["dynamic_variables"]["heyway_call_id"],
        call.call.to_hex()
    );
    assert_eq!(
        data["conversation_config_override"]["agent"]["prompt"]["prompt"],
        "Ask Pat how the new car is going."
    );
    assert_eq!(
        data["conversation_config_override"]["tts"]["voice_id"],
        "voice_test_0001"
    );
}

#[tokio::test]
async fn recording_then_ai_plays_first() {
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let call = PlacedCall::insert(&app, "recording-ai", ai_config(None, true)).await;
    let twiml = voice(&app, &call).await;
    assert_eq!(
        twiml,
        elevenlabs_api::TWIML.replace(
            "<Response>",
            "<Response><Play>https://cdn.example.test/intro.mp3?v=1&amp;lang=en</Play>"
        )
    );
}

#[tokio::test]
async fn without_the_agent_the_callee_hears_an_apology() {
    // ElevenLabs not configured.
    let app = app().await;
    let call = PlacedCall::insert(&app, "ai-only", ai_config(None, false)).await;
    let twiml = voice(&app, &call).await;
    assert!(twiml.contains("<Say>Sorry"), "{twiml}");
    assert!(twiml.ends_with("<Hangup/></Response>"), "{twiml}");

    // ElevenLabs down (the fake answers 503 for this number).
    let fake = FakeElevenLabs::start().await;
    let app = ai_app(&fake).await;
    let call = PlacedCall::insert(&app, "recording-ai", ai_config(None, true)).await;
    app.db
        .raw("calls")
        .update_one(
            doc! { "_id": call.call },
            doc! { "$set": { "participants.0.phoneNumber": elevenlabs_api::TO_UNAVAILABLE } },
        )
        .await
        .unwrap();
    let twiml = voice(&app, &call).await;
    assert!(twiml.contains("<Say>Sorry"), "{twiml}");
    assert!(!twiml.contains("<Play>"), "{twiml}");
}

/// Without `WEBHOOK_BASE_URL`, signatures are checked against the Lambda
/// request context's domain (the adapter hands it over as
/// `PublicOrigin`), else the Host header (`heyway serve`).
#[tokio::test]
async fn without_a_base_url_the_lambda_domain_or_host_is_the_url() {
    use axum::body::Body;
    use axum::http::Request;
    use heyway::features::webhooks::PublicOrigin;
    use heyway_tests::webhooks::send_text;

    let mut config = webhook_config(&[]);
    config.webhook_base_url = None;
    let app = TestApp::with_config(config).await;
    let call = recording_call(&app).await;
    let path = format!("/webhooks/twilio/status?callId={}", call.call.to_hex());
    let form = call.status_form("ringing", &[]);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish();
    let sign =
        |url: String| heyway::integrations::twilio::signature::sign(TWILIO_TOKEN, &url, &form);
    let domain = "abc123def456.lambda-url.us-east-1.on.aws";
    let request = |signature: String, host: &str, origin: bool| {
        let mut request = Request::builder()
            .method("POST")
            .uri(&path)
            .header("host", host)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(Body::from(body.clone()))
            .unwrap();
        if origin {
            request.extensions_mut().insert(PublicOrigin::https(domain));
        }
        request
    };
    // Behind a function URL: the domain, whatever the Host says.
    let lambda = sign(format!("https://{domain}{path}"));
    let (status, text, _) = send_text(&app, request(lambda.clone(), "10.0.0.1", true)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    // The same signature, arriving without the request context: refused.
    let (status, _, _) = send_text(&app, request(lambda, "10.0.0.1", false)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // `heyway serve`: the Host header over http.
    let local = sign(format!("http://127.0.0.1:3000{path}"));
    let (status, text, _) = send_text(&app, request(local, "127.0.0.1:3000", false)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
}
