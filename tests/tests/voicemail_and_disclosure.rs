//! Issue 16 parts 4 and 5 through the sandbox and the API: AI calls open
//! with the disclosure (off only by an explicit, recorded setting), and a
//! call with a message leaves it once on a voicemail box after the beep,
//! recorded as `voicemailLeft` and seen by the callback rule as
//! `voicemail-left`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use heyway::features::dialer::consumer::dial_until_done;
use heyway::infra::queue::DialJob;
use heyway_dev::sandbox::{PlayedCall, VOICEMAIL_GREETING};
use heyway_tests::stack::LocalStack;
use heyway_tests::TestApp;
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

const MESSAGE: &str = "Hello from Park Motors: your car is ready for pick-up.";
const VOICEMAIL: &str = "+12125550103";
/// People who answer; one number per call, as the frequency caps allow
/// one call a day to each.
const PEOPLE: [&str; 4] = [
    "+12125550100",
    "+12125550110",
    "+12125550111",
    "+12125550112",
];

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A contact at `phone`, an automation with `fields` (callbacks on, 30
/// minutes), and its first call, queued now; the scheduled call's id.
async fn queued(
    stack: &LocalStack,
    user: ObjectId,
    phone: &str,
    mode: &str,
    fields: Document,
) -> ObjectId {
    let contact = ObjectId::new();
    stack
        .db
        .raw("contacts")
        .insert_one(doc! {
            "_id": contact, "userId": user, "name": "Sam Placeholder", "phoneNumber": phone,
            "email": "", "groups": [], "tags": [], "metadata": { "purchaseDate": "2026-11-22" },
            "isActive": true, "timezone": "America/New_York", "__v": 0,
        })
        .await
        .unwrap();
    let automation = ObjectId::new();
    let mut stored = doc! {
        "_id": automation, "userId": user, "name": "Pick-up", "description": "", "isActive": true,
        "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
        "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
        "enableCallback": true, "callbackDelayMinutes": 30, "retryCount": 3, "contacts": [contact],
        "createdAt": bson::DateTime::from_chrono(at("2026-01-01T00:00:00Z")),
    };
    stored.extend(fields);
    stack
        .db
        .raw("automations")
        .insert_one(stored)
        .await
        .unwrap();
    let due = at("2026-11-29T23:00:00Z").timestamp();
    let id = ObjectId::new();
    stack
        .db
        .raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "contactId": contact, "automationId": automation,
            "recipients": [{ "phoneNumber": phone, "name": "Sam Placeholder", "contactId": contact }],
            "scheduledTime": bson::DateTime::now(), "status": "queued", "callMode": mode,
            "notes": "", "retryCount": 0, "referenceDate": Bson::Null, "__v": 0,
            "dedupeKey": format!("{}:{}:{due}:0", automation.to_hex(), contact.to_hex()),
        })
        .await
        .unwrap();
    id
}

/// Dials the scheduled call `id` and waits until the sandbox is done with
/// it (every callback answered): the scheduled call, its call record and
/// what the sandbox played.
async fn play(
    stack: &LocalStack,
    user: ObjectId,
    id: ObjectId,
) -> (Document, Document, PlayedCall) {
    let job = DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: Utc::now(),
    };
    dial_until_done(&stack.dialer, &job).await;
    let scheduled = stack
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    let call_id = scheduled.get_object_id("callId").expect("placed");
    let record = stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": call_id })
        .await
        .unwrap()
        .unwrap();
    let sid = record.get_str("twilioCallSid").unwrap().to_string();
    let played = stack
        .sandbox
        .finished(&sid, Duration::from_secs(20))
        .await
        .unwrap();
    assert!(played.finished, "{played:?}");
    let scheduled = stack
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap();
    let record = stack
        .db
        .raw("calls")
        .find_one(doc! { "_id": call_id })
        .await
        .unwrap()
        .unwrap();
    (scheduled, record, played)
}

async fn next_attempts(stack: &LocalStack, first: &Document) -> u64 {
    stack
        .db
        .raw("scheduledcalls")
        .count_documents(doc! {
            "automationId": first.get_object_id("automationId").unwrap(),
            "retryCount": 1,
        })
        .await
        .unwrap()
}

fn spoken_message() -> Document {
    doc! { "useAIVoice": true, "aiVoiceText": MESSAGE, "useAIResponse": false }
}

#[tokio::test]
async fn a_voicemail_box_gets_the_message_once_after_the_beep() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let id = queued(&stack, user, VOICEMAIL, "recording", spoken_message()).await;
    let (scheduled, record, played) = play(&stack, user, id).await;

    // The machine greeted, beeped, and recorded the message once.
    let machine = played.voicemail.as_ref().expect("a machine answered");
    assert_eq!(machine.greeting, VOICEMAIL_GREETING);
    assert_eq!(machine.recorded, vec![MESSAGE.to_string()]);
    assert_eq!(played.heard, vec![MESSAGE.to_string()]);
    assert_eq!(played.answered_by.as_deref(), Some("machine_end_beep"));
    // Synchronous detection: no separate AMD callback, one TwiML fetch.
    let kinds: Vec<&str> = played.deliveries.iter().map(|d| d.kind.as_str()).collect();
    assert!(!kinds.contains(&"amd"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "twiml").count(),
        1,
        "{kinds:?}"
    );
    assert!(
        played
            .deliveries
            .iter()
            .all(|d| d.status.is_some_and(|s| s < 300)),
        "{:?}",
        played.deliveries
    );

    assert_eq!(record.get_str("status").unwrap(), "completed");
    assert!(record.get_bool("voicemailLeft").unwrap());
    assert!(record.get_datetime("voicemailLeftAt").is_ok());
    assert_eq!(record.get_str("answeredBy").unwrap(), "machine_end_beep");
    // The message was delivered: completed, and the default rule does not
    // call back after a message left.
    assert_eq!(
        scheduled.get_str("status").unwrap(),
        "completed",
        "{scheduled:?}"
    );
    assert_eq!(next_attempts(&stack, &scheduled).await, 0);

    // The API says so.
    let call_id = record.get_object_id("_id").unwrap().to_hex();
    let (status, body) = api(
        &stack,
        user,
        reqwest::Method::GET,
        &format!("/api/calls/{call_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["voicemailLeft"], true, "{body}");
    assert_eq!(body["answeredBy"], "machine_end_beep");
}

#[tokio::test]
async fn the_callback_rule_can_call_back_after_a_message_left() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let mut fields = spoken_message();
    fields.insert("callbackOn", vec!["voicemail-left"]);
    let id = queued(&stack, user, VOICEMAIL, "recording", fields).await;
    let (scheduled, record, _) = play(&stack, user, id).await;
    assert!(record.get_bool("voicemailLeft").unwrap());
    assert_eq!(scheduled.get_str("status").unwrap(), "completed");
    assert_eq!(next_attempts(&stack, &scheduled).await, 1);

    // The same rule does not call back after a busy line.
    let busy = queued(&stack, user, "+12125550101", "recording", {
        let mut fields = spoken_message();
        fields.insert("callbackOn", vec!["voicemail-left"]);
        fields
    })
    .await;
    let (scheduled, record, _) = play(&stack, user, busy).await;
    assert_eq!(record.get_str("status").unwrap(), "busy");
    assert!(record.get("voicemailLeft").is_none());
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert_eq!(next_attempts(&stack, &scheduled).await, 0);
}

#[tokio::test]
async fn without_a_message_a_machine_is_still_an_unanswered_call() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let id = queued(
        &stack,
        user,
        VOICEMAIL,
        "ai-only",
        doc! { "aiInstructions": "Ask about the car." },
    )
    .await;
    let (scheduled, record, played) = play(&stack, user, id).await;
    // Asynchronous detection as before: nothing recorded after the beep.
    assert!(played.voicemail.as_ref().unwrap().recorded.is_empty());
    assert!(played.deliveries.iter().any(|d| d.kind == "amd"));
    assert!(record.get("voicemailLeft").is_none());
    assert_eq!(scheduled.get_str("status").unwrap(), "failed");
    assert_eq!(
        scheduled.get_str("errorMessage").unwrap(),
        "An answering machine picked up, so no message was left."
    );
    assert_eq!(
        next_attempts(&stack, &scheduled).await,
        1,
        "voicemail calls back by default"
    );
}

/// A request to the stack's own server, as `user`.
async fn api(
    stack: &LocalStack,
    user: ObjectId,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let token = stack.state.tokens.issue(user).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", stack.base_url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `PATCH /api/me` on the stack's own server, as `user`.
async fn patch_me(stack: &LocalStack, user: ObjectId, body: Value) -> (u16, Value) {
    api(stack, user, reqwest::Method::PATCH, "/api/me", Some(body)).await
}

#[tokio::test]
async fn ai_calls_open_with_the_disclosure_until_the_owner_turns_it_off() {
    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let ai = queued(
        &stack,
        user,
        PEOPLE[0],
        "ai-only",
        doc! { "aiInstructions": "Ask about the car." },
    )
    .await;
    let (_, record, played) = play(&stack, user, ai).await;
    let first = played
        .heard
        .first()
        .expect("something said before the agent");
    assert!(
        first.contains("automated assistant") && first.contains("Park Motors"),
        "{first}"
    );
    assert_eq!(played.heard.len(), 1, "{:?}", played.heard);
    assert!(
        played.conversation_id.is_some(),
        "the agent still takes the call"
    );
    assert_eq!(
        record
            .get_document("aiConfig")
            .unwrap()
            .get_str("disclosure")
            .unwrap(),
        first
    );

    // Recording, then the agent: the disclosure comes first.
    let url = "https://cdn.example.test/reminder.mp3";
    let mixed = queued(
        &stack,
        user,
        PEOPLE[1],
        "recording-ai",
        doc! { "voiceAudioUrl": url, "useAIResponse": true, "aiInstructions": "Answer questions." },
    )
    .await;
    let (_, _, played) = play(&stack, user, mixed).await;
    assert_eq!(played.heard.len(), 2, "{:?}", played.heard);
    assert!(
        played.heard[0].contains("automated assistant"),
        "{:?}",
        played.heard
    );
    assert_eq!(played.heard[1], url);

    // The owner's wording, with the business filled in.
    let (status, body) = patch_me(
        &stack,
        user,
        json!({"aiDisclosure": {"text": "This is {business}'s AI assistant."}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let worded = queued(
        &stack,
        user,
        PEOPLE[2],
        "ai-only",
        doc! { "aiInstructions": "Ask." },
    )
    .await;
    let (_, _, played) = play(&stack, user, worded).await;
    assert_eq!(
        played.heard,
        vec!["This is Park Motors's AI assistant.".to_string()]
    );

    // Turned off explicitly: recorded with the time and the user.
    let before = Utc::now();
    let (status, body) = patch_me(&stack, user, json!({"aiDisclosure": {"enabled": false}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["preferences"]["aiDisclosure"]["enabled"], false);
    let stored = stack
        .db
        .raw("users")
        .find_one(doc! { "_id": user })
        .await
        .unwrap()
        .unwrap();
    let setting = stored
        .get_document("preferences")
        .unwrap()
        .get_document("aiDisclosure")
        .unwrap();
    assert_eq!(setting.get_object_id("disabledBy").unwrap(), user);
    assert!(
        setting.get_datetime("disabledAt").unwrap().to_chrono()
            >= before - chrono::Duration::seconds(1)
    );
    // The quiet-hours preference the stack's user had is kept.
    assert!(stored
        .get_document("preferences")
        .unwrap()
        .get_document("quietHours")
        .is_ok());
    let quiet = queued(
        &stack,
        user,
        PEOPLE[3],
        "ai-only",
        doc! { "aiInstructions": "Ask." },
    )
    .await;
    let (_, record, played) = play(&stack, user, quiet).await;
    assert!(played.heard.is_empty(), "{:?}", played.heard);
    assert!(played.conversation_id.is_some());
    assert!(record
        .get_document("aiConfig")
        .unwrap()
        .get("disclosure")
        .is_none());
}

#[tokio::test]
async fn the_disclosure_is_changed_only_through_its_own_rules() {
    let app = TestApp::new().await;
    let user = app.user("Morgan Testly").await;
    let before = app.raw_doc("users", &user.id.to_hex()).await;
    for (body, field) in [
        (
            json!({"preferences": {"aiDisclosure": {"enabled": false}}}),
            "preferences.aiDisclosure",
        ),
        (
            json!({"aiDisclosure": {"text": "An assistant is calling."}}),
            "aiDisclosure.text",
        ),
        (
            json!({"aiDisclosure": {"text": format!("{{business}} {}", "x".repeat(300))}}),
            "aiDisclosure.text",
        ),
    ] {
        let (status, answer) = app.patch("/api/me", &user, body).await;
        assert_eq!(status.as_u16(), 422, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    for body in [
        json!({"aiDisclosure": {"enabled": "no"}}),
        json!({"aiDisclosure": {"enabled": 0}}),
        json!({"aiDisclosure": {"off": true}}),
    ] {
        let (status, answer) = app.patch("/api/me", &user, body.clone()).await;
        assert!(status.is_client_error(), "{body}: {status} {answer}");
    }
    assert_eq!(
        app.raw_doc("users", &user.id.to_hex()).await,
        before,
        "nothing written"
    );

    // `enabled: null` is not an explicit off.
    let (status, answer) = app
        .patch("/api/me", &user, json!({"aiDisclosure": {"enabled": null}}))
        .await;
    assert_eq!(status.as_u16(), 200, "{answer}");
    assert_eq!(answer["preferences"]["aiDisclosure"]["enabled"], true);
    let (_, answer) = app
        .patch(
            "/api/me",
            &user,
            json!({"aiDisclosure": {"enabled": false}}),
        )
        .await;
    assert_eq!(answer["preferences"]["aiDisclosure"]["enabled"], false);
    let (_, answer) = app
        .patch("/api/me", &user, json!({"aiDisclosure": {"enabled": true}}))
        .await;
    assert_eq!(answer["preferences"]["aiDisclosure"]["enabled"], true);
    assert!(
        answer["preferences"]["aiDisclosure"]
            .get("disabledAt")
            .is_none(),
        "{answer}"
    );
}
