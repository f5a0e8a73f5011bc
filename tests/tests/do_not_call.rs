//! The do-not-call registry: `/api/do-not-call` (removal recorded, not
//! erased; tenants apart; one active entry however many ask at once; bad
//! input named), and every way a number gets in (the owner, the agent's
//! opt-out, an import column) and is honoured (the evaluator skips with a
//! reason, the dialer refuses with the owner's words, manual calls
//! included), legacy unprefixed numbers too.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use futures_util::TryStreamExt;
use heyway::features::dialer::{Dialer, Disposition};
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialJob, DialQueue, InProcessQueue};
use heyway::Db;
use heyway_tests::twilio_api::{FakeTwilioApi, VALID_FROM};
use heyway_tests::webhooks::{
    post_call, send_elevenlabs, webhook_config, PlacedCall, CONTACT_PHONE,
};
use heyway_tests::{error_field, test_config, TestApp, TestUser};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

const NUMBER: &str = "+12125550144";
const DNC_MESSAGE: &str = "This number is on your do-not-call list: the recipient asked not to be called. Remove it from the list only if they agreed to be called again.";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn bdate(text: &str) -> bson::DateTime {
    bson::DateTime::from_chrono(at(text))
}

async fn entries(db: &Db, filter: Document) -> Vec<Document> {
    db.raw("donotcall")
        .find(filter)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn register(app: &TestApp, user: &TestUser, number: &str) -> (StatusCode, Value) {
    app.post(
        "/api/do-not-call",
        user,
        json!({ "phoneNumber": number, "note": "asked by email" }),
    )
    .await
}

#[tokio::test]
async fn add_list_remove_and_add_again_keeps_the_history() {
    let app = TestApp::new().await;
    let owner = app.user("Registry Owner").await;

    let (status, body) = register(&app, &owner, "(212) 555-0144").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created"], true);
    assert_eq!(body["entry"]["phoneNumber"], NUMBER);
    assert_eq!(body["entry"]["source"], "manual");
    assert_eq!(body["entry"]["active"], true);
    assert_eq!(body["entry"]["note"], "asked by email");

    // The same number in its legacy ten-digit spelling: already there.
    let (status, again) = register(&app, &owner, "2125550144").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["entry"]["id"], body["entry"]["id"]);

    let (status, list) = app.get("/api/do-not-call", &owner).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phoneNumber"], NUMBER);

    let (status, removed) = app
        .delete(
            "/api/do-not-call/%2B12125550144?reason=consent%20given",
            &owner,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["active"], false);
    assert_eq!(removed["removalReason"], "consent given");
    assert!(removed["removedAt"].is_string());

    // Gone from the active list, kept in the history.
    let (_, list) = app.get("/api/do-not-call", &owner).await;
    assert_eq!(list["total"], 0);
    let (_, history) = app
        .get(
            "/api/do-not-call?includeRemoved=true&phoneNumber=2125550144",
            &owner,
        )
        .await;
    assert_eq!(history["total"], 1, "{history}");
    let stored = entries(&app.db, doc! {}).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].get_object_id("removedBy").unwrap(), owner.id);
    assert!(stored[0].get("activeKey").is_none());

    // Removing again: nothing active to remove.
    let (status, body) = app.delete("/api/do-not-call/2125550144", &owner).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Registered again: a new active entry next to the removed one.
    let (status, body) = register(&app, &owner, NUMBER).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, history) = app
        .get("/api/do-not-call?includeRemoved=true", &owner)
        .await;
    assert_eq!(history["total"], 2);
}

#[tokio::test]
async fn twenty_registrations_at_once_leave_one_active_entry() {
    let app = TestApp::new().await;
    let owner = app.user("Busy Owner").await;
    let answers = join_all((0..20).map(|_| register(&app, &owner, NUMBER))).await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == StatusCode::CREATED || *status == StatusCode::OK),
        "{answers:?}"
    );
    assert_eq!(created, 1, "{answers:?}");
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(_, body)| body["entry"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(entries(&app.db, doc! {}).await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field() {
    let app = TestApp::new().await;
    let owner = app.user("Careless Owner").await;
    for (body, field) in [
        (json!({ "phoneNumber": "call me" }), "phoneNumber"),
        (json!({ "phoneNumber": "123" }), "phoneNumber"),
        (
            json!({ "phoneNumber": NUMBER, "note": "x".repeat(501) }),
            "note",
        ),
        (json!({ "note": "no number" }), "phoneNumber"),
        (json!({ "phoneNumber": 2125550144_u64 }), "phoneNumber"),
    ] {
        let (status, answer) = app.post("/api/do-not-call", &owner, body.clone()).await;
        assert!(status.is_client_error(), "{body} → {status} {answer}");
        assert_eq!(error_field(&answer), field, "{body} → {answer}");
    }
    let (status, answer) = app.delete("/api/do-not-call/not-a-number", &owner).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "phoneNumber");
    let (status, answer) = app.get("/api/do-not-call?limit=0", &owner).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "limit");
    let (status, answer) = app.get("/api/do-not-call?phoneNumber=junk", &owner).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_field(&answer), "phoneNumber");
    let (status, _) = app.send(Method::GET, "/api/do-not-call", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(entries(&app.db, doc! {}).await.is_empty());
}

#[tokio::test]
async fn each_business_has_its_own_registry() {
    let app = TestApp::new().await;
    let one = app.user("Owner One").await;
    let two = app.user("Owner Two").await;
    assert_eq!(register(&app, &one, NUMBER).await.0, StatusCode::CREATED);

    let (_, list) = app.get("/api/do-not-call", &two).await;
    assert_eq!(list["total"], 0);
    let (status, _) = app.delete("/api/do-not-call/%2B12125550144", &two).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Two registering the same number is its own entry, not one's.
    let (status, body) = register(&app, &two, NUMBER).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = app.get("/api/do-not-call", &one).await;
    assert_eq!(list["total"], 1);
    assert!(
        heyway::features::do_not_call::is_registered(&app.db, ObjectId::new(), NUMBER)
            .await
            .unwrap()
            .is_none()
    );
}

/// A New York user with Twilio's valid test sender verified, and a contact
/// stored with `contact_phone` (a legacy form, say).
async fn caller(db: &Db, contact_phone: &str) -> (ObjectId, ObjectId) {
    let user = ObjectId::new();
    db.raw("users")
        .insert_one(doc! {
            "_id": user, "name": "Acme Motors", "email": format!("{}@acme.test", user.to_hex()),
            "timezone": "America/New_York", "preferredCallerID": VALID_FROM,
            "freeMinutes": 5, "__v": 0,
        })
        .await
        .unwrap();
    db.raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": user, "phoneNumber": VALID_FROM, "verified": true })
        .await
        .unwrap();
    let contact = ObjectId::new();
    db.raw("contacts")
        .insert_one(doc! {
            "_id": contact, "userId": user, "name": "Dana Pebble", "phoneNumber": contact_phone,
            "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
            "timezone": "America/New_York",
            "metadata": { "purchaseDate": "2026-11-22" },
        })
        .await
        .unwrap();
    (user, contact)
}

/// A queued call of `user`: to `contact` from an automation, or a manual
/// one to a bare number.
async fn queued(db: &Db, user: ObjectId, contact: Option<ObjectId>, number: &str) -> DialJob {
    let id = ObjectId::new();
    let mut document = doc! {
        "_id": id, "userId": user,
        "recipients": [{ "phoneNumber": number, "name": "Dana Pebble" }],
        "scheduledTime": bdate("2026-11-30T19:59:00Z"),
        "status": "queued", "callMode": "ai-only", "notes": "", "retryCount": 0, "__v": 0,
    };
    if let Some(contact) = contact {
        document.insert("contactId", contact);
    }
    db.raw("scheduledcalls").insert_one(document).await.unwrap();
    DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: at("2026-11-30T19:59:00Z"),
    }
}

fn dialer(db: &Db, fake: &FakeTwilioApi) -> Dialer {
    let mut pairs: Vec<(&str, String)> = fake.config();
    pairs.push(("WEBHOOK_BASE_URL", "https://hooks.heyway.test".to_string()));
    pairs.push(("DIALER_CALLS_PER_SECOND", "0".to_string()));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Dialer::from_config(
        db.clone(),
        heyway::infra::outbound::http_client().unwrap(),
        &test_config(&pairs),
    )
    .unwrap()
}

async fn scheduled(db: &Db, id: ObjectId) -> Document {
    db.raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

async fn token_for(app: &TestApp, user: ObjectId) -> TestUser {
    TestUser {
        id: user,
        token: app.state.tokens.issue(user).unwrap(),
    }
}

#[tokio::test]
async fn the_dialer_refuses_a_registered_number_and_dials_it_once_removed() {
    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    // The contact holds the number the way the Node app stored it.
    let (user, contact) = caller(db, "2125550144").await;
    let owner = token_for(&app, user).await;
    assert_eq!(register(&app, &owner, NUMBER).await.0, StatusCode::CREATED);

    // The legacy flags the Node app reads: opted out, still active.
    let stored = db
        .raw("contacts")
        .find_one(doc! { "_id": contact })
        .await
        .unwrap()
        .unwrap();
    assert!(stored.get_bool("optedOut").unwrap());
    assert!(stored.get_bool("isActive").unwrap());

    let now = at("2026-11-30T20:00:00Z");
    for job in [
        queued(db, user, Some(contact), "2125550144").await,
        // A manual call to the bare number, in yet another spelling.
        queued(db, user, None, "1 (212) 555-0144").await,
    ] {
        let disposition = dialer(db, &fake).dial_at(&job, 1, now).await.unwrap();
        assert_eq!(disposition, Disposition::Done);
        let stored = scheduled(db, job.scheduled_call_id).await;
        assert_eq!(stored.get_str("status").unwrap(), "failed");
        assert_eq!(stored.get_str("errorMessage").unwrap(), DNC_MESSAGE);
    }
    assert!(fake.calls().is_empty());

    // Removed with consent: the contact is callable again.
    let (status, body) = app.delete("/api/do-not-call/2125550144", &owner).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = db
        .raw("contacts")
        .find_one(doc! { "_id": contact })
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.get_bool("optedOut").unwrap());
    let job = queued(db, user, Some(contact), "2125550144").await;
    dialer(db, &fake).dial_at(&job, 1, now).await.unwrap();
    assert_eq!(fake.calls().len(), 1);
}

/// "7 days after each purchase, at 18:00 New York time", for `contacts`.
async fn automation(db: &Db, user: ObjectId, contacts: &[ObjectId]) -> ObjectId {
    let id = ObjectId::new();
    db.raw("automations")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": "New car check-in", "description": "", "isActive": true,
            "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
            "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
            "aiInstructions": "ask how the new car is going",
            "contacts": contacts.to_vec(),
            "lastRun": bdate("2026-11-29T22:00:00Z"), "nextRun": bdate("2026-11-29T22:00:00Z"),
            "createdAt": bdate("2026-01-01T00:00:00Z"), "updatedAt": bdate("2026-01-01T00:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn the_evaluator_skips_a_registered_number_with_the_reason() {
    let app = TestApp::new().await;
    let db = &app.db;
    let (user, registered) = caller(db, "2125550144").await;
    let other = ObjectId::new();
    db.raw("contacts")
        .insert_one(doc! {
            "_id": other, "userId": user, "name": "Lee Sample", "phoneNumber": "+12125550145",
            "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
            "metadata": { "purchaseDate": "2026-11-22" },
        })
        .await
        .unwrap();
    let owner = token_for(&app, user).await;
    assert_eq!(register(&app, &owner, NUMBER).await.0, StatusCode::CREATED);
    // Only the registry stops it: the legacy flag is taken away again.
    db.raw("contacts")
        .update_one(
            doc! { "_id": registered },
            doc! { "$set": { "optedOut": false } },
        )
        .await
        .unwrap();
    let automation = automation(db, user, &[registered, other]).await;

    let (queue, _jobs) = InProcessQueue::new();
    let report = run_pass(
        db,
        &DialQueue::InProcess(queue),
        at("2026-11-29T23:00:30Z"),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.recorded, 1, "{report:?}");
    let calls: Vec<Document> = db
        .raw("scheduledcalls")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].get_object_id("contactId").unwrap(), other);

    let stored = db
        .raw("automations")
        .find_one(doc! { "_id": automation })
        .await
        .unwrap()
        .unwrap();
    let history = stored.get_array("executionHistory").unwrap();
    let entry = history.last().unwrap().as_document().unwrap();
    assert_eq!(entry.get_i32("callsScheduled").unwrap(), 1);
    assert_eq!(entry.get_i32("callsSkipped").unwrap(), 1);
    let skipped = entry.get_array("skipped").unwrap()[0]
        .as_document()
        .unwrap();
    assert_eq!(skipped.get_object_id("contactId").unwrap(), registered);
    assert_eq!(skipped.get_str("phoneNumber").unwrap(), NUMBER);
    assert_eq!(skipped.get_str("reason").unwrap(), "do-not-call");
}

#[tokio::test]
async fn the_agents_opt_out_registers_the_number_with_the_call() {
    let app = TestApp::with_config(webhook_config(&[])).await;
    let placed = PlacedCall::insert(&app, "ai-only", PlacedCall::ai_config(None)).await;
    let body = post_call(
        &placed,
        "conv_dnc_0001",
        &["Stop calling me, please."],
        json!({}),
    );
    let (status, text) = send_elevenlabs(&app, &body).await;
    assert_eq!(status, StatusCode::OK, "{text}");

    let found = entries(&app.db, doc! { "userId": placed.user }).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let entry = &found[0];
    assert_eq!(entry.get_str("phoneNumber").unwrap(), CONTACT_PHONE);
    assert_eq!(entry.get_str("source").unwrap(), "agent");
    assert_eq!(entry.get_object_id("callId").unwrap(), placed.call);
    assert_eq!(entry.get_object_id("contactId").unwrap(), placed.contact);
    assert!(entry.get_datetime("addedAt").is_ok());
    // The legacy flags stay as the Node app reads them.
    let contact = placed.contact_doc(&app).await;
    assert!(contact.get_bool("optedOut").unwrap());
    assert!(contact.get_bool("isActive").unwrap());
    // A redelivery adds nothing.
    send_elevenlabs(&app, &body).await;
    assert_eq!(entries(&app.db, doc! {}).await.len(), 1);
}

#[tokio::test]
async fn an_import_column_registers_the_rows_that_say_yes() {
    let app = TestApp::new().await;
    let owner = app.user("Importing Owner").await;
    let csv = "name,phone,Do Not Call\n\
               Ann Example,212-555-0144,yes\n\
               Bo Example,212-555-0146,no\n\
               Cy Example,212-555-0147,\n\
               Di Example,212-555-0148,maybe\n\
               ,212-555-0149,yes\n";
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/contacts/import")
        .header("authorization", format!("Bearer {}", owner.token))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (status, report) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["doNotCall"], 2, "{report}");
    assert_eq!(report["errors"][0]["field"], "doNotCall", "{report}");
    assert_eq!(report["errors"][0]["row"], 4, "{report}");
    // A row rejected for another cell (no name) still registers its opt-out.
    assert_eq!(report["errors"][1]["field"], "name", "{report}");

    let mut found: Vec<String> = entries(&app.db, doc! { "userId": owner.id })
        .await
        .iter()
        .map(|e| {
            assert_eq!(e.get_str("source").unwrap(), "import");
            e.get_str("phoneNumber").unwrap().to_string()
        })
        .collect();
    found.sort();
    assert_eq!(found, [NUMBER, "+12125550149"]);
    let ann = app
        .db
        .raw("contacts")
        .find_one(doc! { "userId": owner.id, "phoneNumber": NUMBER })
        .await
        .unwrap()
        .unwrap();
    assert!(ann.get_bool("optedOut").unwrap());
}

/// Through the sandbox: its 555-0105 callee asks not to be called again;
/// the post-call webhook registers the number, and the next call to it,
/// from another contact with the same number, is refused before dialing.
#[tokio::test]
async fn an_opt_out_heard_in_the_sandbox_stops_the_next_call() {
    use heyway::features::dialer::consumer::dial_until_done;
    use heyway_tests::stack::LocalStack;

    let stack = LocalStack::start(0).await;
    let user = stack.user().await;
    let number = "+12125550105";
    let first = stack.queued_call(user, "Kim Slate", number, None).await;
    let job = |id| DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: Utc::now(),
    };
    dial_until_done(&stack.dialer, &job(first)).await;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let entry = loop {
        if let Some(entry) = entries(&stack.db, doc! { "userId": user }).await.pop() {
            break entry;
        }
        assert!(tokio::time::Instant::now() < deadline, "no registry entry");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(entry.get_str("phoneNumber").unwrap(), number);
    assert_eq!(entry.get_str("source").unwrap(), "agent");
    let first_call = scheduled(&stack.db, first).await;
    assert_eq!(
        entry.get_object_id("callId").unwrap(),
        first_call.get_object_id("callId").unwrap()
    );

    let second = stack
        .queued_call(user, "Kim Slate (work)", number, None)
        .await;
    dial_until_done(&stack.dialer, &job(second)).await;
    let refused = scheduled(&stack.db, second).await;
    assert_eq!(refused.get_str("status").unwrap(), "failed");
    assert_eq!(refused.get_str("errorMessage").unwrap(), DNC_MESSAGE);
    assert_eq!(stack.sandbox.calls().len(), 1);
}
