//! `/api/calls`: listing with filters, one call with its transcript,
//! follow-ups, calling now through the dial queue, the dashboard's stats;
//! legacy documents, bad input and tenant isolation.

use axum::http::StatusCode;
use heyway::infra::queue::{DialQueue, InProcessQueue};
use heyway_tests::{error_field, legacy, TestApp, TestUser};
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

/// A call of `user` created at `created` (RFC 3339), with `extra` fields
/// set over the dialer's shape.
fn call(user: ObjectId, created: &str, extra: Document) -> Document {
    let mut document = doc! {
        "_id": ObjectId::new(),
        "userId": user,
        "sessionId": "00000000-0000-4000-8000-00000000aaaa",
        "status": "completed",
        "callMode": "ai-only",
        "participants": [ { "phoneNumber": "+12155550140", "name": "Pat Sample", "role": "callee" } ],
        "transcription": [],
        "aiConfig": {},
        "startedAt": legacy::at(created),
        "isInbound": false,
        "inboundData": {},
        "createdAt": legacy::at(created),
        "updatedAt": legacy::at(created),
        "__v": 0,
    };
    document.extend(extra);
    document
}

async fn insert(app: &TestApp, docs: &[Document]) -> Vec<String> {
    app.insert_raw("calls", docs)
        .await
        .into_iter()
        .map(|id| id.to_hex())
        .collect()
}

/// The ids a list answers, in order; asserts a 200.
async fn ids(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let (status, body) = app.get(&format!("/api/calls{query}"), user).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

async fn contact(app: &TestApp, user: ObjectId, name: &str, phone: &str) -> ObjectId {
    app.insert_raw(
        "contacts",
        &[doc! {
            "_id": ObjectId::new(), "userId": user, "name": name, "phoneNumber": phone,
            "email": "", "groups": [], "tags": [], "metadata": {}, "isActive": true,
        }],
    )
    .await[0]
}

#[tokio::test]
async fn lists_newest_first_and_filters() {
    let app = TestApp::new().await;
    let user = app.user("List Owner").await;
    let other = app.user("Other Owner").await;
    let automation = ObjectId::new();
    let robin = contact(&app, user.id, "Robin Sample", "(215) 555-0150").await;
    let ids_in_order = insert(
        &app,
        &[
            // 0: oldest, positive, follow-up done.
            call(
                user.id,
                "2026-11-01T10:00:00Z",
                doc! { "analysis": { "category": "positive", "followUpNeeded": true, "followUpDone": true } },
            ),
            // 1: negative, follow-up open, of the automation.
            call(
                user.id,
                "2026-11-02T10:00:00Z",
                doc! { "automationId": automation, "analysis": { "category": "negative", "followUpNeeded": true } },
            ),
            // 2: no answer, no analysis; to Robin by her number only.
            call(
                user.id,
                "2026-11-03T10:00:00Z",
                doc! { "status": "no-answer", "participants": [ { "phoneNumber": "2155550150" } ] },
            ),
            // 3: inbound, analysis null, to Robin by id.
            call(
                user.id,
                "2026-11-04T10:00:00Z",
                doc! { "isInbound": true, "analysis": Bson::Null, "contactId": robin,
                       "participants": [ { "phoneNumber": "+12155550151", "name": "Jamie Example" } ] },
            ),
            // 4: newest, busy, positive without a follow-up flag.
            call(
                user.id,
                "2026-11-05T10:00:00Z",
                doc! { "status": "busy", "automationId": automation, "analysis": { "category": "positive" } },
            ),
        ],
    )
    .await;
    insert(&app, &[call(other.id, "2026-11-06T10:00:00Z", doc! {})]).await;
    let want = |indexes: &[usize]| -> Vec<String> {
        indexes.iter().map(|i| ids_in_order[*i].clone()).collect()
    };

    let (status, page) = app.get("/api/calls?limit=2&page=2", &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["limit"], 2);
    assert_eq!(
        ids(&app, &user, "").await,
        want(&[4, 3, 2, 1, 0]),
        "newest first, another user's call not listed"
    );
    assert_eq!(ids(&app, &user, "?limit=2&page=2").await, want(&[2, 1]));
    assert_eq!(
        ids(&app, &user, "?status=completed").await,
        want(&[3, 1, 0])
    );
    assert_eq!(
        ids(&app, &user, "?status=busy,no-answer").await,
        want(&[4, 2])
    );
    assert_eq!(ids(&app, &user, "?category=positive").await, want(&[4, 0]));
    assert_eq!(
        ids(&app, &user, "?followUpNeeded=true").await,
        want(&[1, 0])
    );
    assert_eq!(
        ids(&app, &user, "?followUpNeeded=false").await,
        want(&[4, 3, 2])
    );
    assert_eq!(
        ids(&app, &user, "?followUpNeeded=true&followUpDone=false").await,
        want(&[1]),
        "open follow-ups"
    );
    assert_eq!(
        ids(
            &app,
            &user,
            &format!("?automationId={}", automation.to_hex())
        )
        .await,
        want(&[4, 1])
    );
    assert_eq!(ids(&app, &user, "?inbound=true").await, want(&[3]));
    assert_eq!(
        ids(&app, &user, "?inbound=false").await,
        want(&[4, 2, 1, 0])
    );
    assert_eq!(
        ids(&app, &user, "?from=2026-11-02&to=2026-11-04").await,
        want(&[3, 2, 1]),
        "days cover the whole day"
    );
    assert_eq!(
        ids(
            &app,
            &user,
            "?from=2026-11-02T10:00:01Z&to=2026-11-04T10:00:00%2B00:00"
        )
        .await,
        want(&[3, 2])
    );
    assert_eq!(
        ids(&app, &user, &format!("?contactId={}", robin.to_hex())).await,
        want(&[3, 2]),
        "by id, and by the contact's number on older calls"
    );
    assert_eq!(ids(&app, &user, "?search=555-0151").await, want(&[3]));
    assert_eq!(ids(&app, &user, "?search=jamie").await, want(&[3]));
    assert_eq!(
        ids(
            &app,
            &user,
            "?status=completed&category=negative&inbound=false"
        )
        .await,
        want(&[1])
    );

    let (_, list) = app.get("/api/calls?limit=1", &user).await;
    let item = &list["items"][0];
    assert_eq!(item["status"], "busy");
    assert_eq!(item["category"], "positive");
    assert_eq!(item["followUpNeeded"], false);
    assert_eq!(item["automationId"], automation.to_hex());
    assert!(
        item.get("transcript").is_none(),
        "lists leave transcripts out"
    );
}

/// A filter value that is not acceptable is a 422 naming the parameter,
/// as on `/api/scheduled-calls`; only a malformed id is a 400, as
/// everywhere in the API.
#[tokio::test]
async fn bad_filters_are_refused_naming_the_parameter() {
    let app = TestApp::new().await;
    let user = app.user("Filter Owner").await;
    let other = app.user("Filter Other").await;
    let foreign = contact(&app, other.id, "Not Yours", "+12155550160").await;
    let unacceptable = [
        ("status=done", "status"),
        ("status=completed,", "status"),
        ("category=", "category"),
        ("followUpNeeded=maybe", "followUpNeeded"),
        ("followUpDone=yes", "followUpDone"),
        ("inbound=sometimes", "inbound"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-05&to=2026-11-01", "from"),
        ("limit=500", "limit"),
    ];
    for (query, field) in unacceptable {
        let (status, body) = app.get(&format!("/api/calls?{query}"), &user).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed", "{query}");
        assert_eq!(error_field(&body), field, "{query}");
    }
    let (status, body) = app
        .get(&format!("/api/calls?contactId={}", foreign.to_hex()), &user)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another user's contact"
    );
    assert_eq!(error_field(&body), "contactId");
    let malformed = [
        ("automationId=123", "automationId"),
        ("contactId=nothex", "contactId"),
    ];
    for (query, field) in malformed {
        let (status, body) = app.get(&format!("/api/calls?{query}"), &user).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(error_field(&body), field, "{query}");
    }
    for (query, want, field) in [
        ("to=never", StatusCode::UNPROCESSABLE_ENTITY, "to"),
        ("inbound=maybe", StatusCode::UNPROCESSABLE_ENTITY, "inbound"),
        ("automationId=x", StatusCode::BAD_REQUEST, "automationId"),
    ] {
        let (status, body) = app.get(&format!("/api/calls/stats?{query}"), &user).await;
        assert_eq!(status, want, "stats {query}: {body}");
        assert_eq!(error_field(&body), field, "stats {query}");
    }
}

#[tokio::test]
async fn legacy_and_elevenlabs_calls_read_as_one_shape() {
    let app = TestApp::new().await;
    let user = app.user("Legacy Owner").await;
    let legacy_id = ObjectId::new();
    let automation = ObjectId::new();
    insert(&app, &legacy::calls(user.id, legacy_id, automation)).await;
    let eleven = insert(
        &app,
        &[call(
            user.id,
            "2026-11-10T18:00:00Z",
            doc! {
                "transcription": [
                    { "role": "agent", "message": "Hi Sam, this is the shop.", "time_in_call_secs": 0 },
                    { "role": "agent", "message": Bson::Null, "time_in_call_secs": 2, "tool_calls": [ { "name": "lookup" } ] },
                    { "role": "user", "message": "Please call me tomorrow.", "time_in_call_secs": 4.5 },
                ],
                "metrics": { "duration": 61.5_f64, "cost": 0.02 },
                "analysis": { "category": "callback", "followUpNeeded": true, "summary": "Wants a call tomorrow.", "sentiment": "neutral" },
                "elevenLabsData": { "conversation_id": "conv_test_0002" },
                "answeredBy": "human",
                "scheduledCallId": ObjectId::new(),
            },
        )],
    )
    .await;

    let (status, legacy_call) = app
        .get(&format!("/api/calls/{}", legacy_id.to_hex()), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{legacy_call}");
    assert_eq!(legacy_call["status"], "completed");
    assert_eq!(
        legacy_call["sessionId"],
        "00000000-0000-4000-8000-000000000001"
    );
    assert_eq!(legacy_call["automationId"], automation.to_hex());
    assert_eq!(legacy_call["durationSecs"], 42.0);
    assert_eq!(legacy_call["category"], "positive");
    assert_eq!(legacy_call["followUpNeeded"], false);
    assert_eq!(legacy_call["summary"], "Happy with the car.");
    assert_eq!(legacy_call["conversationId"], "conv_test_0001");
    assert_eq!(
        legacy_call["twilioCallSid"],
        "CA00000000000000000000000000000001"
    );
    assert_eq!(legacy_call["analysis"]["sentiment"], 0.9);
    assert_eq!(legacy_call["metrics"]["cost"], 0.0133);
    assert_eq!(legacy_call["aiConfig"]["instructions"], "hows the new car");
    assert_eq!(legacy_call["endedAt"], "2025-09-16T22:00:42Z");
    assert_eq!(
        legacy_call["participants"],
        json!([{ "phoneNumber": "+12155550124", "name": "Robin Fixture", "role": "callee", "contactId": null }])
    );
    assert_eq!(
        legacy_call["transcript"],
        json!([
            { "role": "agent", "text": "Hi Robin, how is the new car?", "at": "2025-09-16T22:00:05Z", "offsetSecs": 5.0 },
            { "role": "user", "text": "Great, thanks.", "at": "2025-09-16T22:00:09Z", "offsetSecs": 9.0 },
            { "role": "agent", "text": "Glad to hear it.", "at": "2025-09-16T22:00:12Z", "offsetSecs": 12.0 },
        ])
    );

    let (status, initiated) = app.get("/api/calls?status=initiated", &user).await;
    assert_eq!(status, StatusCode::OK);
    let initiated = &initiated["items"][0];
    assert_eq!(initiated["participants"][0]["phoneNumber"], "+12155550123");
    assert_eq!(initiated["durationSecs"], Value::Null);
    assert_eq!(initiated["category"], Value::Null);
    assert_eq!(initiated["followUpNeeded"], false);

    let (status, eleven) = app.get(&format!("/api/calls/{}", eleven[0]), &user).await;
    assert_eq!(status, StatusCode::OK, "{eleven}");
    assert_eq!(
        eleven["transcript"],
        json!([
            { "role": "agent", "text": "Hi Sam, this is the shop.", "at": "2026-11-10T18:00:00Z", "offsetSecs": 0.0 },
            { "role": "user", "text": "Please call me tomorrow.", "at": "2026-11-10T18:00:04.500Z", "offsetSecs": 4.5 },
        ])
    );
    assert_eq!(eleven["durationSecs"], 61.5);
    assert_eq!(eleven["answeredBy"], "human");
    assert!(eleven["scheduledCallId"].is_string());
    assert_eq!(eleven["followUpNeeded"], true);
    assert_eq!(eleven["followUpDone"], false);

    let (status, body) = app.get("/api/calls/not-an-id", &user).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&body), "id");
    let (status, _) = app
        .get(&format!("/api/calls/{}", ObjectId::new().to_hex()), &user)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_users_calls_are_never_listed_read_or_patched() {
    let app = TestApp::new().await;
    let owner = app.user("Owner Person").await;
    let intruder = app.user("Intruder Person").await;
    let id = insert(
        &app,
        &[call(
            owner.id,
            "2026-11-01T10:00:00Z",
            doc! { "analysis": { "category": "negative", "followUpNeeded": true } },
        )],
    )
    .await
    .remove(0);
    let before = app.raw_doc("calls", &id).await;

    assert!(ids(&app, &intruder, "").await.is_empty());
    let (status, _) = app.get(&format!("/api/calls/{id}"), &intruder).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .patch(
            &format!("/api/calls/{id}"),
            &intruder,
            json!({ "followUpDone": true }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, stats) = app.get("/api/calls/stats", &intruder).await;
    assert_eq!(stats["totalCalls"], 0);
    assert_eq!(app.raw_doc("calls", &id).await, before);
}

#[tokio::test]
async fn follow_ups_are_marked_done_with_sets_that_keep_every_other_field() {
    let app = TestApp::new().await;
    let user = app.user("Follow Owner").await;
    let ids = insert(
        &app,
        &[
            call(
                user.id,
                "2026-11-01T10:00:00Z",
                doc! {
                    "analysis": { "category": "negative", "followUpNeeded": true, "summary": "Unhappy.", "agentNotes": { "x": 1 } },
                    "legacyField": "kept",
                    "metrics": { "duration": 30 },
                },
            ),
            call(
                user.id,
                "2026-11-02T10:00:00Z",
                doc! { "analysis": Bson::Null },
            ),
        ],
    )
    .await;
    let path = format!("/api/calls/{}", ids[0]);
    let before = app.raw_doc("calls", &ids[0]).await;

    // Bad patches change nothing.
    let bad = [
        (json!({ "status": "completed" }), "status"),
        (json!({ "followUpDone": true, "analysis": {} }), "analysis"),
        (json!({ "followUpDone": "yes" }), "followUpDone"),
        (json!({ "followUpNeeded": 1 }), "followUpNeeded"),
        (json!({ "followUpNote": ["x"] }), "followUpNote"),
        (json!({ "followUpNote": "x".repeat(2001) }), "followUpNote"),
        (json!({}), "body"),
        (json!("done"), "body"),
    ];
    for (body, field) in bad {
        let (status, error) = app.patch(&path, &user, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["code"], "validation_failed", "{body}");
        assert_eq!(error_field(&error), field, "{body}");
    }
    let (status, _) = app
        .send_text(axum::http::Method::PATCH, &path, &user, "{nope")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, error) = app
        .patch("/api/calls/123", &user, json!({ "followUpDone": true }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_field(&error), "id");
    assert_eq!(app.raw_doc("calls", &ids[0]).await, before);

    let (status, done) = app
        .patch(
            &path,
            &user,
            json!({ "followUpDone": true, "followUpNote": " Called back, sorted. " }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["followUpDone"], true);
    assert_eq!(done["followUpNeeded"], true);
    assert_eq!(done["followUpNote"], "Called back, sorted.");
    assert!(done["followUpDoneAt"].is_string());
    let stored = app.raw_doc("calls", &ids[0]).await;
    let analysis = stored.get_document("analysis").unwrap();
    assert!(analysis.get_bool("followUpDone").unwrap());
    let done_at = analysis.get_datetime("followUpDoneAt").unwrap().to_owned();
    assert_eq!(analysis.get_str("category").unwrap(), "negative");
    assert_eq!(analysis.get_str("summary").unwrap(), "Unhappy.");
    assert_eq!(
        analysis.get_document("agentNotes").unwrap(),
        &doc! { "x": 1 }
    );
    assert_eq!(stored.get_str("legacyField").unwrap(), "kept");
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get("createdAt"), before.get("createdAt"));
    assert_eq!(stored.get("metrics"), before.get("metrics"));
    assert_ne!(stored.get("updatedAt"), before.get("updatedAt"));
    assert!(
        self::ids(&app, &user, "?followUpNeeded=true&followUpDone=false")
            .await
            .is_empty()
    );

    // Done again keeps the first stamp; reopening clears it.
    let (status, again) = app
        .patch(&path, &user, json!({ "followUpDone": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["followUpNote"], "Called back, sorted.");
    let stored = app.raw_doc("calls", &ids[0]).await;
    assert_eq!(
        stored
            .get_document("analysis")
            .unwrap()
            .get_datetime("followUpDoneAt")
            .unwrap(),
        &done_at
    );
    let (status, reopened) = app
        .patch(&path, &user, json!({ "followUpDone": false }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reopened["followUpDone"], false);
    assert_eq!(reopened["followUpDoneAt"], Value::Null);
    assert_eq!(
        self::ids(&app, &user, "?followUpNeeded=true&followUpDone=false").await,
        vec![ids[0].clone()]
    );

    // Dismissing the AI's flag.
    let (_, dismissed) = app
        .patch(
            &path,
            &user,
            json!({ "followUpNeeded": false, "followUpNote": null }),
        )
        .await;
    assert_eq!(dismissed["followUpNeeded"], false);
    assert_eq!(dismissed["followUpNote"], Value::Null);

    // A call whose analysis is null gets one holding only the follow-up.
    let (status, flagged) = app
        .patch(
            &format!("/api/calls/{}", ids[1]),
            &user,
            json!({ "followUpNeeded": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{flagged}");
    assert_eq!(flagged["followUpNeeded"], true);
    let stored = app.raw_doc("calls", &ids[1]).await;
    assert_eq!(
        stored.get_document("analysis").unwrap(),
        &doc! { "followUpNeeded": true }
    );
}

/// An app whose `POST /api/calls` sends to an in-process queue.
fn with_queue(mut app: TestApp, queue: InProcessQueue) -> TestApp {
    app.state = app
        .state
        .clone()
        .with_dial_queue(DialQueue::InProcess(queue));
    app.router = heyway::app::router(app.state.clone());
    app
}

#[tokio::test]
async fn calling_now_sends_one_dial_job_and_marks_the_call_queued() {
    let (queue, mut jobs) = InProcessQueue::new();
    let app = with_queue(TestApp::new().await, queue);
    let user = app.user("Dial Owner").await;
    let sam = contact(&app, user.id, "Sam Sample", "215-555-0170").await;
    let automation = legacy::automation_second_generation(user.id);
    let automation_id = app.insert_raw("automations", &[automation]).await[0];

    let before = chrono::Utc::now();
    let (status, placed) = app
        .post(
            "/api/calls",
            &user,
            json!({ "contactId": sam.to_hex(), "aiInstructions": "Ask how the visit went." }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{placed}");
    assert_eq!(placed["status"], "queued");
    assert_eq!(placed["contactId"], sam.to_hex());
    assert_eq!(placed["callMode"], "ai-only");
    assert_eq!(placed["notes"], "Ask how the visit went.");
    assert_eq!(
        placed["recipients"],
        json!([{ "name": "Sam Sample", "phoneNumber": "+12155550170" }])
    );
    let id = placed["id"].as_str().unwrap();
    let job = jobs.try_recv().expect("one dial job sent");
    assert!(jobs.try_recv().is_err(), "exactly one job");
    assert_eq!(job.scheduled_call_id.to_hex(), id);
    assert_eq!(job.user_id, user.id);

    let stored = app.raw_doc("scheduledcalls", id).await;
    assert_eq!(stored.get_str("status").unwrap(), "queued");
    assert!(stored.get_datetime("queuedAt").is_ok());
    assert!(stored.get_object_id("enqueueToken").is_ok());
    assert_eq!(stored.get("automationId"), Some(&Bson::Null));
    assert_eq!(stored.get("referenceDate"), Some(&Bson::Null));
    assert_eq!(stored.get_str("errorMessage").unwrap(), "");
    assert_eq!(stored.get("retryCount"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get_object_id("contactId").unwrap(), sam);
    let scheduled = stored.get_datetime("scheduledTime").unwrap().to_chrono();
    assert!(scheduled >= before - chrono::Duration::milliseconds(1));
    assert!(scheduled <= chrono::Utc::now());
    assert_eq!(job.scheduled_time, scheduled);

    // With an automation: its script and mode; by number and name.
    let (status, scripted) = app
        .post(
            "/api/calls",
            &user,
            json!({ "phoneNumber": "(215) 555-0171", "name": "Lee Example", "automationId": automation_id.to_hex() }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{scripted}");
    assert_eq!(scripted["status"], "queued");
    assert_eq!(scripted["automationId"], automation_id.to_hex());
    assert_eq!(scripted["callMode"], "recording-ai");
    assert_eq!(scripted["contactId"], Value::Null);
    assert_eq!(
        jobs.try_recv().unwrap().scheduled_call_id.to_hex(),
        scripted["id"].as_str().unwrap()
    );
    assert_eq!(app.count("scheduledcalls").await, 2);
}

#[tokio::test]
async fn without_a_queue_or_when_it_refuses_the_call_stays_pending_for_the_sweep() {
    let app = TestApp::new().await;
    let user = app.user("Pending Owner").await;
    let (status, placed) = app
        .post(
            "/api/calls",
            &user,
            json!({ "phoneNumber": "+12155550180", "name": "Alex Example", "notes": "Say hello." }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{placed}");
    assert_eq!(placed["status"], "pending");
    let stored = app
        .raw_doc("scheduledcalls", placed["id"].as_str().unwrap())
        .await;
    assert!(stored.get("enqueueToken").is_none());

    // The in-process dialer has stopped: the send fails.
    let (queue, jobs) = InProcessQueue::new();
    drop(jobs);
    let app = with_queue(app, queue);
    let (status, refused) = app
        .post(
            "/api/calls",
            &user,
            json!({ "phoneNumber": "+12155550181", "name": "Drew Example" }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{refused}");
    assert_eq!(refused["status"], "pending");
    let stored = app
        .raw_doc("scheduledcalls", refused["id"].as_str().unwrap())
        .await;
    assert_eq!(stored.get_str("status").unwrap(), "pending");
    assert!(stored.get("enqueueToken").is_none());

    // The sweep then sends both.
    let (queue, mut jobs) = InProcessQueue::new();
    let report = heyway::features::scheduled_calls::enqueue_due(
        &app.db,
        &DialQueue::InProcess(queue),
        chrono::Utc::now(),
        chrono::Duration::hours(3),
        ObjectId::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.enqueued, 2);
    assert!(jobs.try_recv().is_ok() && jobs.try_recv().is_ok());
}

#[tokio::test]
async fn bad_calls_now_are_refused_naming_the_field_and_nothing_is_written() {
    let (queue, mut jobs) = InProcessQueue::new();
    let app = with_queue(TestApp::new().await, queue);
    let user = app.user("Strict Dialer").await;
    let other = app.user("Other Dialer").await;
    let foreign = contact(&app, other.id, "Not Yours", "+12155550190").await;
    let foreign_automation = app
        .insert_raw("automations", &[legacy::automation_relative(other.id)])
        .await[0];
    let cases = [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "phoneNumber"),
        (
            json!({ "phoneNumber": "12", "name": "Shorty" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phoneNumber",
        ),
        (
            json!({ "phoneNumber": "+12155550191" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "contactId": "nothex" }),
            StatusCode::BAD_REQUEST,
            "contactId",
        ),
        (
            json!({ "contactId": foreign.to_hex() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactId",
        ),
        (
            json!({ "phoneNumber": "+12155550191", "name": "A B", "callMode": "shout" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callMode",
        ),
        (
            json!({ "phoneNumber": "+12155550191", "name": "A B", "automationId": "x" }),
            StatusCode::BAD_REQUEST,
            "automationId",
        ),
        (
            json!({ "phoneNumber": "+12155550191", "name": "A B", "automationId": foreign_automation.to_hex() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "automationId",
        ),
        (
            json!({ "phoneNumber": "+12155550191", "name": "A B", "aiInstructions": "one", "notes": "two" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "aiInstructions",
        ),
        (
            json!({ "phoneNumber": "+12155550191", "name": "A B", "notes": "x".repeat(2001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "notes",
        ),
        (
            json!({ "phoneNumber": 2155550191_u64, "name": "A B" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phoneNumber",
        ),
    ];
    for (body, want, field) in cases {
        let (status, error) = app.post("/api/calls", &user, body.clone()).await;
        assert_eq!(status, want, "{body}: {error}");
        assert_eq!(error_field(&error), field, "{body}");
    }
    assert_eq!(app.count("scheduledcalls").await, 0);
    assert!(jobs.try_recv().is_err(), "no job sent");
}

#[tokio::test]
async fn stats_count_categories_statuses_answers_follow_ups_and_minutes() {
    let app = TestApp::new().await;
    let user = app.user("Stats Owner").await;
    let other = app.user("Stats Other").await;
    let automation = ObjectId::new();
    insert(
        &app,
        &[
            call(user.id, "2026-11-01T10:00:00Z", doc! {
                "metrics": { "duration": 90_i32 },
                "analysis": { "category": "positive", "followUpNeeded": false },
            }),
            call(user.id, "2026-11-02T10:00:00Z", doc! {
                "metrics": { "duration": 30_i64 }, "automationId": automation,
                "analysis": { "category": "negative", "followUpNeeded": true },
            }),
            call(user.id, "2026-11-03T10:00:00Z", doc! {
                "metrics": { "duration": 45.5_f64 }, "answeredBy": "machine_end_beep",
                "analysis": { "category": "negative", "followUpNeeded": true, "followUpDone": true },
            }),
            call(user.id, "2026-11-04T10:00:00Z", doc! {
                "status": "no-answer", "metrics": { "duration": 0 }, "analysis": Bson::Null,
            }),
            call(user.id, "2026-11-05T10:00:00Z", doc! {
                "status": "in-progress", "metrics": { "duration": "12" }, "automationId": automation,
            }),
            call(other.id, "2026-11-03T10:00:00Z", doc! {
                "metrics": { "duration": 600 }, "analysis": { "category": "positive", "followUpNeeded": true },
            }),
        ],
    )
    .await;

    let (status, stats) = app.get("/api/calls/stats", &user).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(
        stats,
        json!({
            "totalCalls": 5,
            "answeredCalls": 3,
            "followUpsOpen": 1,
            "totalSeconds": 165.5,
            "totalMinutes": 165.5 / 60.0,
            "byCategory": { "negative": 2, "positive": 1 },
            "uncategorized": 2,
            "byStatus": { "completed": 3, "in-progress": 1, "no-answer": 1 },
        })
    );

    let (_, ranged) = app
        .get("/api/calls/stats?from=2026-11-02&to=2026-11-03", &user)
        .await;
    assert_eq!(ranged["totalCalls"], 2);
    assert_eq!(ranged["totalSeconds"], 75.5);
    assert_eq!(ranged["answeredCalls"], 1);
    assert_eq!(ranged["byCategory"], json!({ "negative": 2 }));

    let (_, scoped) = app
        .get(
            &format!("/api/calls/stats?automationId={}", automation.to_hex()),
            &user,
        )
        .await;
    assert_eq!(scoped["totalCalls"], 2);
    assert_eq!(scoped["followUpsOpen"], 1);

    let empty = app.user("Stats Newcomer").await;
    let (status, none) = app.get("/api/calls/stats", &empty).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["totalCalls"], 0);
    assert_eq!(none["totalMinutes"], 0.0);
    assert_eq!(none["byStatus"], json!({}));

    let (status, _) = app
        .send(axum::http::Method::GET, "/api/calls/stats", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bare_days_are_the_owners_days() {
    let app = TestApp::new().await;
    let user = app.user("West Coast Owner").await;
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "timezone": "America/Los_Angeles" } },
        )
        .await
        .unwrap();
    let ids_in_order = insert(
        &app,
        &[
            // 22:30 on the 15th in Los Angeles.
            call(user.id, "2026-11-16T06:30:00Z", doc! {}),
            // 08:00 on the 16th.
            call(user.id, "2026-11-16T16:00:00Z", doc! {}),
            // 23:30 on the 16th, already the 17th in UTC.
            call(user.id, "2026-11-17T07:30:00Z", doc! {}),
            // 00:30 on the 17th.
            call(user.id, "2026-11-17T08:30:00Z", doc! {}),
        ],
    )
    .await;
    assert_eq!(
        ids(&app, &user, "?from=2026-11-16&to=2026-11-16").await,
        vec![ids_in_order[2].clone(), ids_in_order[1].clone()]
    );
    // An instant is an instant, whatever the zone.
    assert_eq!(
        ids(
            &app,
            &user,
            "?from=2026-11-16T06:00:00Z&to=2026-11-16T07:00:00Z"
        )
        .await,
        vec![ids_in_order[0].clone()]
    );
    let (status, stats) = app
        .get("/api/calls/stats?from=2026-11-16&to=2026-11-16", &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["totalCalls"], 2, "{stats}");
}
