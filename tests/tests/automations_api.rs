//! `/api/automations`: CRUD in the second-generation shape, validation of
//! every field, legacy documents, pause/activate, the preview agreeing
//! with the evaluator, and tenant isolation, on a real server.

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialQueue, InProcessQueue};
use heyway::schedule::at_local;
use heyway_tests::{legacy, TestApp, TestUser};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

async fn contact(
    app: &TestApp,
    user: ObjectId,
    name: &str,
    phone: &str,
    metadata: Document,
) -> ObjectId {
    let id = ObjectId::new();
    app.db
        .raw("contacts")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": name, "phoneNumber": phone, "email": "",
            "groups": [], "tags": [], "metadata": metadata, "isActive": true,
            "createdAt": bson::DateTime::now(), "updatedAt": bson::DateTime::now(), "__v": 0,
        })
        .await
        .unwrap();
    id
}

async fn recording(app: &TestApp, user: ObjectId) -> ObjectId {
    let id = ObjectId::new();
    app.db
        .raw("recordings")
        .insert_one(doc! {
            "_id": id, "name": "greeting", "filePath": "gs://example-bucket/greeting.mp3",
            "duration": 6, "userId": user, "createdAt": bson::DateTime::now(),
        })
        .await
        .unwrap();
    id
}

async fn raw(app: &TestApp, id: &str) -> Option<Document> {
    let id: ObjectId = id.parse().unwrap();
    app.db
        .raw("automations")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
}

async fn count(app: &TestApp) -> u64 {
    app.db
        .raw("automations")
        .count_documents(doc! {})
        .await
        .unwrap()
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, created) = app.post("/api/automations", user, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn scheduled_call(app: &TestApp, user: ObjectId, automation: &str, status: &str) -> ObjectId {
    let id = ObjectId::new();
    let automation: ObjectId = automation.parse().unwrap();
    app.db
        .raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "recipients": [ { "phoneNumber": "+12125550150", "name": "Test Person" } ],
            "notes": "", "scheduledTime": bson::DateTime::now(), "status": status, "retryCount": 0,
            "callMode": "ai-only", "automationId": automation, "referenceDate": Bson::Null,
            "contactData": {}, "errorMessage": "",
        })
        .await
        .unwrap();
    id
}

async fn call_status(app: &TestApp, id: ObjectId) -> String {
    app.db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
        .get_str("status")
        .unwrap()
        .to_string()
}

fn without_updated_at(mut document: Document) -> Document {
    document.remove("updatedAt");
    document
}

#[tokio::test]
async fn create_read_list_update_delete() {
    let app = TestApp::new().await;
    let user = app.user("Dana Owner").await;
    let buyer = contact(&app, user.id, "Alex Buyer", "+12125550101", doc! {}).await;
    let greeting = recording(&app, user.id).await;
    let before = Utc::now();
    let created = create(
        &app,
        &user,
        json!({
            "name": " Loaner check-in ",
            "description": "ask about the loaner",
            "timingMode": "on_date",
            "fixedDate": "2030-09-17",
            "timeOfDay": "18:00",
            "timezone": "America/New_York",
            "contacts": [buyer.to_hex(), buyer.to_hex()],
            "aiInstructions": "ask how the loaner car is going",
            "audioMessage": greeting.to_hex(),
            "enableCallback": true,
            "callbackDelayMinutes": 30,
            "callbackMaxDelayDays": 7,
            "callbackTimeOfDay": "09:00",
            "retryCount": 3,
        }),
    )
    .await;
    assert_eq!(created["name"], "Loaner check-in");
    assert_eq!(created["isActive"], true);
    assert_eq!(
        created["timing"],
        json!({ "mode": "on_date", "daysOffset": 0, "date": "2030-09-17", "timeOfDay": "18:00", "timezone": "America/New_York", "referenceField": null })
    );
    assert_eq!(
        created["callback"],
        json!({ "enabled": true, "delayMinutes": 30, "timeOfDay": "09:00", "maxDelayDays": 7,
                "on": ["no-answer", "busy", "failed", "voicemail"] })
    );
    assert_eq!(created["contacts"], json!([buyer.to_hex()]));
    assert_eq!(created["contactsCount"], 1);
    assert_eq!(created["audioMessage"], greeting.to_hex());
    assert_eq!(created["callMode"], "recording-ai");
    let id = created["id"].as_str().unwrap().to_string();

    let stored = raw(&app, &id).await.unwrap();
    assert_eq!(stored.get_object_id("userId").unwrap(), user.id);
    assert_eq!(stored.get_str("timingMode").unwrap(), "on_date");
    assert_eq!(
        stored.get_str("fixedDate").unwrap(),
        "2030-09-17T00:00:00.000-04:00"
    );
    assert_eq!(stored.get_str("timeOfDay").unwrap(), "18:00");
    assert_eq!(stored.get("daysOffset"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get_str("audioMessage").unwrap(), greeting.to_hex());
    assert_eq!(
        stored.get_array("contacts").unwrap(),
        &vec![Bson::ObjectId(buyer)]
    );
    assert_eq!(stored.get("contactsCount"), Some(&Bson::Int32(1)));
    assert_eq!(stored.get("pendingCount"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get("completedCount"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get_array("executionHistory").unwrap().len(), 0);
    assert_eq!(stored.get("retryCount"), Some(&Bson::Int32(3)));
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert!(stored.get("triggerType").is_none());
    for key in ["nextRun", "lastRun", "createdAt", "updatedAt"] {
        let at = stored.get_datetime(key).unwrap().to_chrono();
        assert!(
            at >= before - Duration::seconds(1) && at <= Utc::now(),
            "{key}"
        );
    }

    // Relative, default time and the user's zone; RFC 3339 fixed date.
    let relative = create(
        &app,
        &user,
        json!({ "name": "Seven days after", "timingMode": "after", "daysOffset": 7,
                "fixedDate": "2030-01-05T00:00:00+09:00", "referenceField": "metadata.purchaseDate", "isActive": false }),
    )
    .await;
    assert_eq!(relative["timing"]["mode"], "after");
    assert_eq!(relative["timing"]["date"], "2030-01-05");
    assert_eq!(relative["timing"]["timeOfDay"], "09:00");
    assert_eq!(relative["timing"]["timezone"], "America/New_York");
    assert_eq!(
        relative["timing"]["referenceField"],
        "metadata.purchaseDate"
    );
    assert_eq!(relative["fixedDate"], "2030-01-05T00:00:00.000-05:00");
    assert_eq!(relative["callMode"], "ai-only");

    let (status, read) = app.get(&format!("/api/automations/{id}"), &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let (status, page) = app.get("/api/automations", &user).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 2);
    let (_, active) = app.get("/api/automations?active=true", &user).await;
    assert_eq!(active["total"], 1);
    assert_eq!(active["items"][0]["id"], id.as_str());
    let (_, paused) = app
        .get("/api/automations?active=false&limit=1", &user)
        .await;
    assert_eq!(paused["items"][0]["name"], "Seven days after");
    let (status, body) = app.get("/api/automations?active=maybe", &user).await;
    assert_eq!(
        (status, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "active")
    );
    let (status, body) = app.get("/api/automations?limit=0", &user).await;
    assert_eq!(
        (status, field(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "limit")
    );

    // PATCH: only the given field changes.
    let before_patch = raw(&app, &id).await.unwrap();
    let (status, patched) = app
        .patch(
            &format!("/api/automations/{id}"),
            &user,
            json!({ "name": "Renamed" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "Renamed");
    let mut expected = without_updated_at(before_patch.clone());
    expected.insert("name", "Renamed");
    assert_eq!(without_updated_at(raw(&app, &id).await.unwrap()), expected);

    // A timing change moves nextRun to now; clearing with null.
    app.db
        .raw("automations")
        .update_one(
            doc! { "_id": before_patch.get_object_id("_id").unwrap() },
            doc! { "$set": { "nextRun": bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
    let (status, patched) = app
        .patch(
            &format!("/api/automations/{id}"),
            &user,
            json!({ "timingMode": "before", "daysOffset": 2, "timeOfDay": "10:15", "audioMessage": null, "callbackTimeOfDay": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["timing"]["mode"], "before");
    assert_eq!(patched["timing"]["daysOffset"], 2);
    assert_eq!(patched["timing"]["timeOfDay"], "10:15");
    assert_eq!(patched["audioMessage"], Value::Null);
    assert_eq!(patched["callback"]["timeOfDay"], Value::Null);
    let stored = raw(&app, &id).await.unwrap();
    assert!(stored.get_datetime("nextRun").unwrap().to_chrono() >= before);
    assert_eq!(stored.get("audioMessage"), Some(&Bson::Null));
    assert_eq!(
        stored.get_str("fixedDate").unwrap(),
        "2030-09-17T00:00:00.000-04:00"
    );

    // DELETE cancels calls not started; a started one is left alone.
    let pending = scheduled_call(&app, user.id, &id, "pending").await;
    let queued = scheduled_call(&app, user.id, &id, "queued").await;
    let processing = scheduled_call(&app, user.id, &id, "processing").await;
    let (status, _) = app.delete(&format!("/api/automations/{id}"), &user).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(raw(&app, &id).await.is_none());
    assert_eq!(call_status(&app, pending).await, "cancelled");
    assert_eq!(call_status(&app, queued).await, "cancelled");
    assert_eq!(call_status(&app, processing).await, "processing");
    let (status, _) = app.get(&format!("/api/automations/{id}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.delete(&format!("/api/automations/{id}"), &user).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_bad_field_is_refused_naming_it_and_nothing_is_written() {
    let app = TestApp::new().await;
    let user = app.user("Val Idator").await;
    let other = app.user("Other Owner").await;
    let foreign_contact = contact(&app, other.id, "Not Yours", "+12125550160", doc! {}).await;
    let foreign_recording = recording(&app, other.id).await;
    let valid = json!({ "name": "Check-in", "timingMode": "after", "daysOffset": 7, "timeOfDay": "09:00", "timezone": "America/Chicago" });
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({ "name": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": "x".repeat(101) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": null }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "name": 5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "timingMode": "sometimes" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timingMode",
        ),
        (
            json!({ "timingMode": null }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timingMode",
        ),
        (
            json!({ "callbackOn": ["sometimes"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackOn[0]",
        ),
        (
            json!({ "callbackOn": ["busy", "voicemail-later"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackOn[1]",
        ),
        (
            json!({ "callbackOn": "busy" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackOn",
        ),
        (
            json!({ "daysOffset": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "daysOffset",
        ),
        (
            json!({ "daysOffset": 3651 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "daysOffset",
        ),
        (
            json!({ "daysOffset": "7" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "daysOffset",
        ),
        (
            json!({ "daysOffset": 1.5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "daysOffset",
        ),
        (
            json!({ "fixedDate": "17/09/2025" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fixedDate",
        ),
        (
            json!({ "timingMode": "on_date" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fixedDate",
        ),
        (
            json!({ "timingMode": "on_date", "fixedDate": null }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "fixedDate",
        ),
        (
            json!({ "timeOfDay": "25:00" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeOfDay",
        ),
        (
            json!({ "timeOfDay": "6pm" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeOfDay",
        ),
        (
            json!({ "timezone": "Mars/Base" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "timezone",
        ),
        (
            json!({ "referenceField": "metadata.$where" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "referenceField",
        ),
        (
            json!({ "referenceField": "a..b" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "referenceField",
        ),
        (
            json!({ "contacts": ["not-an-id"] }),
            StatusCode::BAD_REQUEST,
            "contacts[0]",
        ),
        (
            json!({ "contacts": [ObjectId::new().to_hex()] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contacts[0]",
        ),
        (
            json!({ "contacts": [foreign_contact.to_hex()] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contacts[0]",
        ),
        (
            json!({ "contacts": "all" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contacts",
        ),
        (
            json!({ "audioMessage": "zz" }),
            StatusCode::BAD_REQUEST,
            "audioMessage",
        ),
        (
            json!({ "audioMessage": foreign_recording.to_hex() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "audioMessage",
        ),
        (
            json!({ "voiceAudioUrl": "ftp://example.test/a.mp3" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "voiceAudioUrl",
        ),
        (
            json!({ "aiInstructions": "x".repeat(10_001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "aiInstructions",
        ),
        (
            json!({ "description": "x".repeat(1001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "description",
        ),
        (
            json!({ "useAIVoice": "yes" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "useAIVoice",
        ),
        (
            json!({ "useAIResponse": null }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "useAIResponse",
        ),
        (
            json!({ "aiVoiceText": 3 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "aiVoiceText",
        ),
        (
            json!({ "enableCallback": 1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "enableCallback",
        ),
        (
            json!({ "callbackDelayMinutes": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackDelayMinutes",
        ),
        (
            json!({ "callbackDelayMinutes": 10_081 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackDelayMinutes",
        ),
        (
            json!({ "callbackMaxDelayDays": 31 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackMaxDelayDays",
        ),
        (
            json!({ "callbackMaxDelayDays": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackMaxDelayDays",
        ),
        (
            json!({ "callbackTimeOfDay": "9am" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callbackTimeOfDay",
        ),
        (
            json!({ "retryCount": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "retryCount",
        ),
        (
            json!({ "retryCount": 11 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "retryCount",
        ),
        (
            json!({ "isActive": "yes" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "isActive",
        ),
    ];
    for (change, expected_status, expected_field) in &cases {
        let mut body = valid.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, error) = app.post("/api/automations", &user, body.clone()).await;
        assert_eq!(status, *expected_status, "{body}: {error}");
        assert_eq!(field(&error), *expected_field, "{body}: {error}");
    }
    // Required on create.
    let (status, error) = app
        .post("/api/automations", &user, json!({ "timingMode": "after" }))
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "name")
    );
    let (status, error) = app
        .post("/api/automations", &user, json!({ "name": "No mode" }))
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "timingMode")
    );
    let (status, _) = app
        .post("/api/automations", &user, json!("{not json"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app).await, 0, "nothing written");

    // The same rules on PATCH, and the stored document untouched.
    let created = create(&app, &user, valid.clone()).await;
    let id = created["id"].as_str().unwrap();
    let stored = raw(&app, id).await.unwrap();
    for (change, expected_status, expected_field) in &cases {
        let (status, error) = app
            .patch(&format!("/api/automations/{id}"), &user, change.clone())
            .await;
        assert_eq!(status, *expected_status, "{change}: {error}");
        assert_eq!(field(&error), *expected_field, "{change}: {error}");
    }
    assert_eq!(raw(&app, id).await.unwrap(), stored, "PATCH wrote nothing");
    let (status, error) = app.get("/api/automations/nothex", &user).await;
    assert_eq!((status, field(&error)), (StatusCode::BAD_REQUEST, "id"));
    let (status, error) = app.patch("/api/automations/nothex", &user, json!({})).await;
    assert_eq!((status, field(&error)), (StatusCode::BAD_REQUEST, "id"));
    let (status, _) = app
        .send(axum::http::Method::GET, "/api/automations", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn legacy_documents_read_and_patch_keeping_their_fields() {
    let app = TestApp::new().await;
    let user = app.user("Legacy Owner").await;
    let pat = contact(&app, user.id, "Pat Sample", "2155550123", doc! {}).await;
    let voice = recording(&app, user.id).await;
    let first = legacy::automation_first_generation(user.id, pat, voice);
    let second = legacy::automation_second_generation(user.id);
    let relative = legacy::automation_relative(user.id);
    let first_id = first.get_object_id("_id").unwrap().to_hex();
    let second_id = second.get_object_id("_id").unwrap().to_hex();
    app.db
        .raw("automations")
        .insert_many([first.clone(), second, relative])
        .await
        .unwrap();

    let (status, page) = app.get("/api/automations", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 3);

    let (status, view) = app
        .get(&format!("/api/automations/{first_id}"), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["timing"]["mode"], "on_date");
    assert_eq!(view["timing"]["date"], "2025-09-15");
    assert_eq!(view["timing"]["timeOfDay"], "18:00");
    assert_eq!(view["callback"]["enabled"], true);
    assert_eq!(view["callback"]["delayMinutes"], 15);
    assert_eq!(view["audioMessage"], voice.to_hex());
    assert_eq!(view["contacts"], json!([pat.to_hex()]));
    assert_eq!(view["pendingCount"], 1);
    let (_, view) = app
        .get(&format!("/api/automations/{second_id}"), &user)
        .await;
    assert_eq!(view["timing"]["date"], "2025-09-15");
    assert_eq!(view["callback"]["delayMinutes"], 30);
    assert_eq!(view["isActive"], false);

    // A non-timing PATCH: everything else as stored.
    let (status, _) = app
        .patch(
            &format!("/api/automations/{first_id}"),
            &user,
            json!({ "aiInstructions": "ask about service" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stored = raw(&app, &first_id).await.unwrap();
    let mut expected = without_updated_at(first.clone());
    expected.insert("aiInstructions", "ask about service");
    assert_eq!(without_updated_at(stored), expected);

    // A timing PATCH: second-generation timing written, triggerType gone,
    // legacy fields kept, the meaning otherwise unchanged.
    let (status, view) = app
        .patch(
            &format!("/api/automations/{first_id}"),
            &user,
            json!({ "timeOfDay": "10:30" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["timing"]["mode"], "on_date");
    assert_eq!(view["timing"]["date"], "2025-09-15");
    assert_eq!(view["timing"]["timeOfDay"], "10:30");
    assert_eq!(view["callback"]["delayMinutes"], 15);
    let stored = raw(&app, &first_id).await.unwrap();
    assert!(stored.get("triggerType").is_none());
    assert_eq!(stored.get_str("timingMode").unwrap(), "on_date");
    assert_eq!(
        stored.get_str("fixedDate").unwrap(),
        "2025-09-15T00:00:00.000-04:00"
    );
    assert_eq!(stored.get_str("timeOfDay").unwrap(), "10:30");
    for key in [
        "onDate",
        "onTime",
        "offsetDays",
        "offsetDirection",
        "callbackDelay",
        "callbackCustomDay",
        "callbackEnabled",
        "scheduledFor",
        "aiVoiceSettings",
    ] {
        assert_eq!(stored.get(key), first.get(key), "{key} kept");
    }
    assert_eq!(stored.get_array("executionHistory").unwrap().len(), 1);
    assert_eq!(
        stored.get_str("audioMessage").unwrap(),
        voice.to_hex(),
        "still text"
    );
}

#[tokio::test]
async fn pause_cancels_calls_not_started_and_activate_resumes_from_now() {
    let app = TestApp::new().await;
    let user = app.user("Pause Owner").await;
    let created = create(
        &app,
        &user,
        json!({ "name": "Weekly", "timingMode": "after", "daysOffset": 7 }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let pending = scheduled_call(&app, user.id, id, "pending").await;
    let enqueuing = scheduled_call(&app, user.id, id, "enqueuing").await;
    let processing = scheduled_call(&app, user.id, id, "processing").await;
    let completed = scheduled_call(&app, user.id, id, "completed").await;

    let (status, paused) = app
        .post(&format!("/api/automations/{id}/pause"), &user, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{paused}");
    assert_eq!(paused["isActive"], false);
    assert_eq!(
        paused["pendingCount"], 1,
        "only the processing call is open"
    );
    assert_eq!(call_status(&app, pending).await, "cancelled");
    assert_eq!(call_status(&app, enqueuing).await, "cancelled");
    assert_eq!(call_status(&app, processing).await, "processing");
    assert_eq!(call_status(&app, completed).await, "completed");

    let before = Utc::now() - Duration::seconds(1);
    let (status, active) = app
        .post(&format!("/api/automations/{id}/activate"), &user, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!(active["isActive"], true);
    for key in ["nextRun", "lastRun"] {
        let at: DateTime<Utc> = active[key].as_str().unwrap().parse().unwrap();
        assert!(at >= before, "{key}");
    }
    let (status, _) = app
        .post(
            &format!("/api/automations/{}/pause", ObjectId::new()),
            &user,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn preview_matches_what_the_evaluator_records() {
    let app = TestApp::new().await;
    let user = app.user("Preview Owner").await;
    let zone = chrono_tz::America::New_York;
    let today = Utc::now().with_timezone(&zone).date_naive();
    // Purchased 5 days ago, called 7 days after: in 2 days, 07:00 local,
    // which quiet hours (08:00–21:00) move to 08:00.
    let purchase = (today - Duration::days(5)).format("%Y-%m-%d").to_string();
    let due = contact(
        &app,
        user.id,
        "Casey Buyer",
        "+12125550101",
        doc! { "purchaseDate": &purchase },
    )
    .await;
    let no_number = contact(
        &app,
        user.id,
        "No Number",
        "12",
        doc! { "purchaseDate": &purchase },
    )
    .await;
    let inactive = contact(
        &app,
        user.id,
        "Gone Quiet",
        "+12125550102",
        doc! { "purchaseDate": &purchase },
    )
    .await;
    app.db
        .raw("contacts")
        .update_one(
            doc! { "_id": inactive },
            doc! { "$set": { "isActive": false } },
        )
        .await
        .unwrap();
    let created = create(
        &app,
        &user,
        json!({ "name": "New car", "timingMode": "after", "daysOffset": 7, "timeOfDay": "07:00",
                "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
                "contacts": [due.to_hex(), no_number.to_hex(), inactive.to_hex()] }),
    )
    .await;
    let id = created["id"].as_str().unwrap();

    let (status, preview) = app
        .get(&format!("/api/automations/{id}/preview"), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let calls = preview["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{preview}");
    let call = &calls[0];
    let day = today + Duration::days(2);
    let expected_due = at_local(day, NaiveTime::from_hms_opt(7, 0, 0).unwrap(), zone);
    let expected_call = at_local(day, NaiveTime::from_hms_opt(8, 0, 0).unwrap(), zone);
    let call_at: DateTime<Utc> = call["callAt"].as_str().unwrap().parse().unwrap();
    let due_at: DateTime<Utc> = call["dueAt"].as_str().unwrap().parse().unwrap();
    assert_eq!((due_at, call_at), (expected_due, expected_call));
    assert_eq!(call["contactId"], due.to_hex());
    assert_eq!(call["contactName"], "Casey Buyer");
    assert_eq!(call["phoneNumber"], "+12125550101");
    assert_eq!(call["timezone"], "America/New_York");
    assert_eq!(call["referenceDate"], purchase);
    assert!(
        call["localTime"].as_str().unwrap().contains("T08:00:00"),
        "{call}"
    );
    let mut skipped: Vec<(String, String)> = preview["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["contactId"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    skipped.sort();
    let mut expected = vec![
        (no_number.to_hex(), "no_phone_number".to_string()),
        (inactive.to_hex(), "inactive".to_string()),
    ];
    expected.sort();
    assert_eq!(skipped, expected);

    let (_, short) = app
        .get(&format!("/api/automations/{id}/preview?days=1"), &user)
        .await;
    assert_eq!(short["calls"].as_array().unwrap().len(), 0, "{short}");
    for bad in ["0", "367", "x"] {
        let (status, error) = app
            .get(&format!("/api/automations/{id}/preview?days={bad}"), &user)
            .await;
        assert_eq!(
            (status, field(&error)),
            (StatusCode::UNPROCESSABLE_ENTITY, "days"),
            "{bad}"
        );
    }

    // The evaluator, run just after the previewed time, records that call.
    let (queue, _jobs) = InProcessQueue::new();
    let queue = DialQueue::InProcess(queue);
    let report = run_pass(
        &app.db,
        &queue,
        call_at + Duration::seconds(30),
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.recorded, 1, "{report:?}");
    let recorded = app
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "automationId": id.parse::<ObjectId>().unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        recorded.get_datetime("scheduledTime").unwrap().to_chrono(),
        call_at
    );
    assert_eq!(recorded.get_object_id("contactId").unwrap(), due);
}

#[tokio::test]
async fn another_users_ids_are_not_found_and_change_nothing() {
    let app = TestApp::new().await;
    let owner = app.user("Owner A").await;
    let intruder = app.user("Intruder B").await;
    let contact_a = contact(&app, owner.id, "Owned Contact", "+12125550170", doc! {}).await;
    let recording_a = recording(&app, owner.id).await;
    let created = create(
        &app,
        &owner,
        json!({ "name": "Private", "timingMode": "after", "daysOffset": 3, "contacts": [contact_a.to_hex()], "audioMessage": recording_a.to_hex() }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let pending = scheduled_call(&app, owner.id, id, "pending").await;
    let stored = raw(&app, id).await.unwrap();

    let path = format!("/api/automations/{id}");
    assert_eq!(app.get(&path, &intruder).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(
            &path,
            &intruder,
            json!({ "name": "Mine now", "isActive": false })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &intruder).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.post(&format!("{path}/pause"), &intruder, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("{path}/activate"), &intruder, json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{path}/preview"), &intruder).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = app.get("/api/automations", &intruder).await;
    assert_eq!(list["total"], 0);
    assert_eq!(
        raw(&app, id).await.unwrap(),
        stored,
        "A's automation unchanged"
    );
    assert_eq!(call_status(&app, pending).await, "pending");

    // B cannot point an automation at A's contact or recording.
    let mine = create(
        &app,
        &intruder,
        json!({ "name": "Mine", "timingMode": "after" }),
    )
    .await;
    let mine_path = format!("/api/automations/{}", mine["id"].as_str().unwrap());
    let (status, error) = app
        .patch(
            &mine_path,
            &intruder,
            json!({ "contacts": [contact_a.to_hex()] }),
        )
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "contacts[0]")
    );
    let (status, error) = app
        .patch(
            &mine_path,
            &intruder,
            json!({ "audioMessage": recording_a.to_hex() }),
        )
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "audioMessage")
    );
    let (status, error) = app
        .post(
            "/api/automations",
            &intruder,
            json!({ "name": "x", "timingMode": "after", "contacts": [contact_a.to_hex()] }),
        )
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "contacts[0]")
    );
    assert_eq!(count(&app).await, 2);
}

/// Without a contact date or a fixed date, a relative automation counts
/// from the day each contact joined it.
#[tokio::test]
async fn contacts_added_later_count_from_the_day_they_joined() {
    let app = TestApp::new().await;
    let user = app.user("Join Owner").await;
    let early = contact(&app, user.id, "Early Member", "+12125550191", doc! {}).await;
    let late = contact(&app, user.id, "Late Member", "+12125550192", doc! {}).await;
    let created = create(
        &app,
        &user,
        json!({"name": "Two days after joining", "timingMode": "after", "daysOffset": 2, "timeOfDay": "12:00",
               "timezone": "UTC", "contacts": [early.to_hex()]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    // The automation and its first member are three weeks old.
    let weeks_ago = bson::DateTime::from_chrono(Utc::now() - Duration::days(21));
    app.db
        .raw("automations")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&id).unwrap() },
            doc! { "$set": { "createdAt": weeks_ago, format!("contactsJoinedAt.{}", early.to_hex()): weeks_ago } },
        )
        .await
        .unwrap();
    let (status, body) = app
        .patch(
            &format!("/api/automations/{id}"),
            &user,
            json!({"contacts": [early.to_hex(), late.to_hex()]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = raw(&app, &id).await.unwrap();
    assert_eq!(
        stored
            .get_document("contactsJoinedAt")
            .unwrap()
            .get_datetime(early.to_hex())
            .unwrap(),
        &weeks_ago,
        "kept"
    );

    let (status, preview) = app
        .get(&format!("/api/automations/{id}/preview"), &user)
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let calls = preview["calls"].as_array().unwrap();
    assert_eq!(
        calls.len(),
        1,
        "only the late member is still ahead: {preview}"
    );
    assert_eq!(calls[0]["contactId"], late.to_hex());
    let due: DateTime<Utc> = calls[0]["dueAt"].as_str().unwrap().parse().unwrap();
    let expected = (Utc::now() + Duration::days(2))
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    assert_eq!(due, expected);
}

/// The callback rule's outcomes (`callbackOn`): stored without repeats,
/// shown with the default when absent, cleared by `null`.
#[tokio::test]
async fn the_callback_rule_names_its_outcomes() {
    let app = TestApp::new().await;
    let user = app.user("Rule Maker").await;
    let (status, created) = app
        .post(
            "/api/automations",
            &user,
            json!({ "name": "Reminder", "timingMode": "after", "daysOffset": 1, "enableCallback": true,
                    "callbackOn": ["voicemail-left", " busy", "voicemail-left"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["callback"]["on"], json!(["voicemail-left", "busy"]));
    assert_eq!(created["callbackOn"], json!(["voicemail-left", "busy"]));
    let id = created["id"].as_str().unwrap().to_string();
    let stored = app.raw_doc("automations", &id).await;
    assert_eq!(
        stored.get_array("callbackOn").unwrap(),
        &vec![Bson::from("voicemail-left"), Bson::from("busy")]
    );
    let (status, cleared) = app
        .patch(
            &format!("/api/automations/{id}"),
            &user,
            json!({ "callbackOn": null }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(cleared["callbackOn"], Value::Null);
    assert_eq!(
        cleared["callback"]["on"],
        json!(["no-answer", "busy", "failed", "voicemail"])
    );
}
