//! `/api/scheduled-calls`: manual calls, listing with filters (legacy
//! documents included), cancelling, and tenant isolation.

use axum::http::StatusCode;
use chrono::{Duration, SecondsFormat, Utc};
use heyway_tests::{legacy, TestApp, TestUser};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use serde_json::{json, Value};

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

fn in_hours(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn contact(app: &TestApp, user: ObjectId, name: &str, phone: &str) -> ObjectId {
    let id = ObjectId::new();
    app.db
        .raw("contacts")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": name, "phoneNumber": phone, "email": "casey@example.test",
            "groups": [], "tags": [], "metadata": {}, "isActive": true,
        })
        .await
        .unwrap();
    id
}

async fn raw(app: &TestApp, id: &str) -> Document {
    let id: ObjectId = id.parse().unwrap();
    app.db
        .raw("scheduledcalls")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .unwrap()
}

async fn count(app: &TestApp) -> u64 {
    app.db
        .raw("scheduledcalls")
        .count_documents(doc! {})
        .await
        .unwrap()
}

async fn schedule(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, created) = app.post("/api/scheduled-calls", user, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn with_status(app: &TestApp, user: ObjectId, status: &str) -> String {
    let id = ObjectId::new();
    app.db
        .raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "recipients": [ { "phoneNumber": "+12125550180", "name": "Status Person" } ],
            "notes": "", "scheduledTime": bson::DateTime::now(), "status": status, "retryCount": 0,
            "callMode": "ai-only", "automationId": Bson::Null, "referenceDate": Bson::Null,
            "contactData": {}, "errorMessage": "",
        })
        .await
        .unwrap();
    id.to_hex()
}

#[tokio::test]
async fn manual_calls_to_a_contact_or_a_number() {
    let app = TestApp::new().await;
    let user = app.user("Manual Owner").await;
    let casey = contact(&app, user.id, "Casey Caller", "2125550190").await;
    let when = in_hours(2);
    let created = schedule(
        &app,
        &user,
        json!({ "contactId": casey.to_hex(), "scheduledTime": when, "notes": " say hi " }),
    )
    .await;
    assert_eq!(created["status"], "pending");
    assert_eq!(created["callMode"], "ai-only");
    assert_eq!(created["automationId"], Value::Null);
    assert_eq!(created["contactId"], casey.to_hex());
    assert_eq!(
        created["recipients"],
        json!([{ "name": "Casey Caller", "phoneNumber": "+12125550190" }])
    );
    assert_eq!(created["errorMessage"], Value::Null);
    assert_eq!(created["notes"], "say hi");
    assert_eq!(created["referenceDate"], Value::Null);
    let stored = raw(&app, created["id"].as_str().unwrap()).await;
    assert_eq!(stored.get_object_id("userId").unwrap(), user.id);
    assert_eq!(stored.get("automationId"), Some(&Bson::Null));
    assert_eq!(stored.get("referenceDate"), Some(&Bson::Null));
    assert_eq!(stored.get_str("errorMessage").unwrap(), "");
    assert_eq!(stored.get("retryCount"), Some(&Bson::Int32(0)));
    assert_eq!(stored.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(
        stored.get_datetime("scheduledTime").unwrap().to_chrono(),
        when.parse::<chrono::DateTime<Utc>>().unwrap()
    );
    let recipient = stored.get_array("recipients").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(recipient.get_str("phoneNumber").unwrap(), "+12125550190");
    assert_eq!(recipient.get_object_id("contactId").unwrap(), casey);
    let contact_data = stored.get_document("contactData").unwrap();
    assert_eq!(contact_data.get_str("email").unwrap(), "casey@example.test");

    let by_number = schedule(
        &app,
        &user,
        json!({ "phoneNumber": "(212) 555-0191", "name": "Jordan Walkin", "scheduledTime": in_hours(3), "callMode": "recording-ai" }),
    )
    .await;
    assert_eq!(by_number["recipients"][0]["phoneNumber"], "+12125550191");
    assert_eq!(by_number["callMode"], "recording-ai");
    assert_eq!(by_number["contactId"], Value::Null);
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn bad_manual_calls_are_refused_naming_the_field_and_nothing_is_written() {
    let app = TestApp::new().await;
    let user = app.user("Strict Owner").await;
    let other = app.user("Other Owner").await;
    let foreign = contact(&app, other.id, "Not Yours", "+12125550192").await;
    let no_number = contact(&app, user.id, "No Number", "12").await;

    let (status, error) = app
        .post("/api/scheduled-calls", &user, json!({ "phoneNumber": "+12125550193", "name": "Past Person", "scheduledTime": in_hours(-1) }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error["error"]["message"],
        "Scheduled time must be in the future for manual calls"
    );
    assert_eq!(field(&error), "scheduledTime");

    let ok = json!({ "phoneNumber": "+12125550193", "name": "Some Person", "scheduledTime": in_hours(1) });
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({ "scheduledTime": "tomorrow" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "scheduledTime",
        ),
        (
            json!({ "scheduledTime": 5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "scheduledTime",
        ),
        (
            json!({ "callMode": "shout" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "callMode",
        ),
        (
            json!({ "phoneNumber": "12" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phoneNumber",
        ),
        (
            json!({ "phoneNumber": null }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "phoneNumber",
        ),
        (
            json!({ "name": " " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({ "notes": "x".repeat(2001) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "notes",
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
            json!({ "contactId": ObjectId::new().to_hex() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactId",
        ),
        (
            json!({ "contactId": no_number.to_hex() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "contactId",
        ),
    ];
    for (change, expected_status, expected_field) in cases {
        let mut body = ok.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let (status, error) = app.post("/api/scheduled-calls", &user, body.clone()).await;
        assert_eq!(status, expected_status, "{body}: {error}");
        assert_eq!(field(&error), expected_field, "{body}: {error}");
    }
    let (status, error) = app
        .post("/api/scheduled-calls", &user, json!({ "name": "x" }))
        .await;
    assert_eq!(
        (status, field(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "scheduledTime")
    );
    assert_eq!(count(&app).await, 0, "nothing written");
}

#[tokio::test]
async fn list_filters_sorts_and_reads_legacy_documents() {
    let app = TestApp::new().await;
    let user = app.user("List Owner").await;
    let automation = ObjectId::new();
    let legacy_calls =
        legacy::scheduled_calls(user.id, automation, ObjectId::new(), ObjectId::new());
    app.db
        .raw("scheduledcalls")
        .insert_many(legacy_calls)
        .await
        .unwrap();
    let manual = schedule(
        &app,
        &user,
        json!({ "phoneNumber": "+12125550194", "name": "Future Person", "scheduledTime": in_hours(5) }),
    )
    .await;
    let other = app.user("Someone Else").await;
    with_status(&app, other.id, "pending").await;

    let (status, page) = app.get("/api/scheduled-calls", &user).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], manual["id"], "newest scheduledTime first");
    assert_eq!(items[1]["status"], "completed");
    assert_eq!(items[2]["status"], "processing");
    assert_eq!(items[2]["recipients"][0]["phoneNumber"], "+12155550123");
    assert_eq!(items[2]["contactId"].as_str().unwrap().len(), 24);
    assert_eq!(
        items[2]["errorMessage"],
        "Caller ID is required. Please add and verify a caller ID before making calls."
    );
    assert_eq!(items[1]["errorMessage"], Value::Null);
    assert_eq!(items[1]["referenceDate"], "2025-09-09T04:00:00Z");

    let (_, pending) = app.get("/api/scheduled-calls?status=pending", &user).await;
    assert_eq!(pending["total"], 1);
    let (_, of_automation) = app
        .get(
            &format!("/api/scheduled-calls?automationId={}", automation.to_hex()),
            &user,
        )
        .await;
    assert_eq!(of_automation["total"], 2);
    let (_, ranged) = app
        .get(
            "/api/scheduled-calls?from=2025-09-16T00:00:00Z&to=2025-09-17T00:00:00Z",
            &user,
        )
        .await;
    assert_eq!(ranged["total"], 1);
    assert_eq!(ranged["items"][0]["status"], "completed");
    let (_, paged) = app.get("/api/scheduled-calls?limit=1&page=2", &user).await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["items"][0]["status"], "completed");

    for (query, expected_status, expected_field) in [
        ("status=lost", StatusCode::UNPROCESSABLE_ENTITY, "status"),
        (
            "automationId=nothex",
            StatusCode::BAD_REQUEST,
            "automationId",
        ),
        ("from=yesterday", StatusCode::UNPROCESSABLE_ENTITY, "from"),
        ("to=2025-13-01", StatusCode::UNPROCESSABLE_ENTITY, "to"),
        ("limit=500", StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        ("page=x", StatusCode::UNPROCESSABLE_ENTITY, "page"),
    ] {
        let (status, error) = app
            .get(&format!("/api/scheduled-calls?{query}"), &user)
            .await;
        assert_eq!(
            (status, field(&error)),
            (expected_status, expected_field),
            "{query}: {error}"
        );
    }
}

#[tokio::test]
async fn cancel_only_what_has_not_started() {
    let app = TestApp::new().await;
    let user = app.user("Cancel Owner").await;
    let intruder = app.user("Intruder").await;
    let pending = with_status(&app, user.id, "pending").await;
    let queued = with_status(&app, user.id, "queued").await;
    let processing = with_status(&app, user.id, "processing").await;
    let completed = with_status(&app, user.id, "completed").await;

    // Another user's id is not found and changes nothing.
    let (status, _) = app
        .delete(&format!("/api/scheduled-calls/{pending}"), &intruder)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        raw(&app, &pending).await.get_str("status").unwrap(),
        "pending"
    );
    let (_, theirs) = app.get("/api/scheduled-calls", &intruder).await;
    assert_eq!(theirs["total"], 0);

    for id in [&pending, &queued] {
        let (status, view) = app
            .delete(&format!("/api/scheduled-calls/{id}"), &user)
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["status"], "cancelled");
        assert_eq!(raw(&app, id).await.get_str("status").unwrap(), "cancelled");
    }
    let (status, again) = app
        .delete(&format!("/api/scheduled-calls/{pending}"), &user)
        .await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );

    for (id, state) in [(&processing, "processing"), (&completed, "completed")] {
        let before = raw(&app, id).await;
        let (status, error) = app
            .delete(&format!("/api/scheduled-calls/{id}"), &user)
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert_eq!(error["error"]["message"], "call has already started");
        assert_eq!(raw(&app, id).await, before, "{state} unchanged");
    }
    let (status, error) = app.delete("/api/scheduled-calls/nothex", &user).await;
    assert_eq!((status, field(&error)), (StatusCode::BAD_REQUEST, "id"));
    let (status, _) = app
        .delete(&format!("/api/scheduled-calls/{}", ObjectId::new()), &user)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
