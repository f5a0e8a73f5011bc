//! Per-recipient frequency caps across automations, through the evaluator
//! and the dialer against a real database and a local Twilio: two
//! automations due the same minute for one contact make one call; a call
//! over the cap is deferred to the first allowed time, or skipped with the
//! reason past its lateness; manual calls and callbacks are not refused;
//! each business sets its caps in `preferences`.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use futures_util::TryStreamExt;
use heyway::features::dialer::frequency::SKIPPED_MESSAGE;
use heyway::features::dialer::Dialer;
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialJob, DialQueue, InProcessQueue};
use heyway::Db;
use heyway_tests::twilio_api::{FakeTwilioApi, VALID_FROM};
use heyway_tests::{test_config, TestApp};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

const NUMBER: &str = "+12125550161";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn bdate(text: &str) -> bson::DateTime {
    bson::DateTime::from_chrono(at(text))
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

/// A New York business with a verified caller ID, minutes, `preferences`,
/// and one contact at [`NUMBER`] who bought a car on Nov 22.
async fn business(db: &Db, preferences: Document) -> (ObjectId, ObjectId) {
    let user = ObjectId::new();
    db.raw("users")
        .insert_one(doc! {
            "_id": user, "name": "Acme Motors", "email": format!("{}@acme.test", user.to_hex()),
            "timezone": "America/New_York", "preferredCallerID": VALID_FROM,
            "freeMinutes": 50, "preferences": preferences, "__v": 0,
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
            "_id": contact, "userId": user, "name": "Dana Pebble", "phoneNumber": NUMBER,
            "email": "", "groups": [], "tags": [], "isActive": true, "__v": 0,
            "timezone": "America/New_York", "metadata": { "purchaseDate": "2026-11-22" },
        })
        .await
        .unwrap();
    (user, contact)
}

/// "7 days after each purchase, at 18:00 New York time" for `contact`.
async fn automation(db: &Db, user: ObjectId, contact: ObjectId, name: &str) -> ObjectId {
    let id = ObjectId::new();
    db.raw("automations")
        .insert_one(doc! {
            "_id": id, "userId": user, "name": name, "description": "", "isActive": true,
            "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
            "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
            "aiInstructions": "ask how the new car is going", "contacts": [contact],
            "lastRun": bdate("2026-11-29T22:00:00Z"), "nextRun": bdate("2026-11-29T22:00:00Z"),
            "createdAt": bdate("2026-01-01T00:00:00Z"), "updatedAt": bdate("2026-01-01T00:00:00Z"), "__v": 0,
        })
        .await
        .unwrap();
    id
}

/// A queued call of `user` to `contact` due at `due`: recorded by the
/// evaluator for `automation` when given (with its `dedupeKey`), else
/// manual; the `retry`th callback when above 0.
async fn queued(
    db: &Db,
    user: ObjectId,
    contact: ObjectId,
    automation: Option<ObjectId>,
    due: &str,
    retry: i32,
) -> DialJob {
    let id = ObjectId::new();
    let mut document = doc! {
        "_id": id, "userId": user, "contactId": contact,
        "recipients": [{ "phoneNumber": NUMBER, "name": "Dana Pebble", "contactId": contact }],
        "scheduledTime": bdate(due), "status": "queued", "callMode": "ai-only",
        "notes": "", "retryCount": retry, "__v": 0,
    };
    if let Some(automation) = automation {
        document.insert("automationId", automation);
        // Unique per call here: several share a due instant.
        let key = format!(
            "{}:{}:{}:{retry}",
            automation.to_hex(),
            contact.to_hex(),
            id.to_hex()
        );
        document.insert("dedupeKey", key);
    }
    db.raw("scheduledcalls").insert_one(document).await.unwrap();
    DialJob {
        scheduled_call_id: id,
        user_id: user,
        scheduled_time: at(due),
    }
}

async fn all_scheduled(db: &Db) -> Vec<Document> {
    db.raw("scheduledcalls")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn scheduled(db: &Db, job: &DialJob) -> Document {
    db.raw("scheduledcalls")
        .find_one(doc! { "_id": job.scheduled_call_id })
        .await
        .unwrap()
        .unwrap()
}

fn job_of(call: &Document) -> DialJob {
    DialJob {
        scheduled_call_id: call.get_object_id("_id").unwrap(),
        user_id: call.get_object_id("userId").unwrap(),
        scheduled_time: call.get_datetime("scheduledTime").unwrap().to_chrono(),
    }
}

#[tokio::test]
async fn two_automations_due_the_same_minute_make_one_call() {
    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let (user, contact) = business(db, doc! {}).await;
    automation(db, user, contact, "New car check-in").await;
    automation(db, user, contact, "Service reminder").await;

    let (queue, _jobs) = InProcessQueue::new();
    let now = at("2026-11-29T23:00:30Z");
    let report = run_pass(
        db,
        &DialQueue::InProcess(queue),
        now,
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.recorded, 2, "{report:?}");

    // Both dialed at once, as two dialers would.
    let calls = all_scheduled(db).await;
    let dialer = dialer(db, &fake);
    join_all(calls.iter().map(|call| {
        let job = job_of(call);
        let dialer = &dialer;
        async move { dialer.dial_at(&job, 1, now).await.unwrap() }
    }))
    .await;

    assert_eq!(fake.calls().len(), 1);
    let calls = all_scheduled(db).await;
    let skipped: Vec<&Document> = calls
        .iter()
        .filter(|c| c.get_str("status").unwrap() == "failed")
        .collect();
    assert_eq!(skipped.len(), 1, "{calls:?}");
    assert_eq!(skipped[0].get_str("errorMessage").unwrap(), SKIPPED_MESSAGE);
}

#[tokio::test]
async fn over_the_cap_within_the_lateness_is_deferred_to_the_first_allowed_time() {
    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let (user, contact) = business(db, doc! {}).await;
    let automation = automation(db, user, contact, "Check-in").await;
    let dialer = dialer(db, &fake);

    let first = queued(
        db,
        user,
        contact,
        Some(automation),
        "2026-11-29T16:00:00Z",
        0,
    )
    .await;
    dialer
        .dial_at(&first, 1, at("2026-11-29T16:00:00Z"))
        .await
        .unwrap();
    assert_eq!(fake.calls().len(), 1);

    // 23 hours later: the day's cap frees in an hour, within the 3 hours.
    let second = queued(
        db,
        user,
        contact,
        Some(automation),
        "2026-11-30T15:00:00Z",
        0,
    )
    .await;
    dialer
        .dial_at(&second, 1, at("2026-11-30T15:00:00Z"))
        .await
        .unwrap();
    assert_eq!(fake.calls().len(), 1);
    let deferred = scheduled(db, &second).await;
    assert_eq!(deferred.get_str("status").unwrap(), "pending");
    assert_eq!(
        deferred.get_datetime("scheduledTime").unwrap().to_chrono(),
        at("2026-11-30T16:00:00Z")
    );
    // At that time it goes.
    dialer
        .dial_at(&second, 1, at("2026-11-30T16:00:00Z"))
        .await
        .unwrap();
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn manual_calls_and_callbacks_are_not_refused_and_manual_ones_count() {
    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let (user, contact) = business(db, doc! {}).await;
    let automation = automation(db, user, contact, "Check-in").await;
    let dialer = dialer(db, &fake);
    let now = at("2026-11-30T15:00:00Z");

    for _ in 0..2 {
        let manual = queued(db, user, contact, None, "2026-11-30T15:00:00Z", 0).await;
        dialer.dial_at(&manual, 1, now).await.unwrap();
    }
    // A manual call naming an automation (`POST /api/calls` allows it).
    let manual = queued(db, user, contact, None, "2026-11-30T15:00:00Z", 0).await;
    db.raw("scheduledcalls")
        .update_one(
            doc! { "_id": manual.scheduled_call_id },
            doc! { "$set": { "automationId": automation } },
        )
        .await
        .unwrap();
    dialer.dial_at(&manual, 1, now).await.unwrap();
    let callback = queued(
        db,
        user,
        contact,
        Some(automation),
        "2026-11-30T15:00:00Z",
        1,
    )
    .await;
    dialer.dial_at(&callback, 1, now).await.unwrap();
    assert_eq!(fake.calls().len(), 4);

    // The manual calls counted: an automation's first attempt is over.
    let automated = queued(
        db,
        user,
        contact,
        Some(automation),
        "2026-11-30T15:00:00Z",
        0,
    )
    .await;
    dialer.dial_at(&automated, 1, now).await.unwrap();
    assert_eq!(fake.calls().len(), 4);
    assert_eq!(
        scheduled(db, &automated)
            .await
            .get_str("errorMessage")
            .unwrap(),
        SKIPPED_MESSAGE
    );
}

#[tokio::test]
async fn each_business_sets_its_caps_in_preferences() {
    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let dialer = dialer(db, &fake);
    let now = at("2026-11-30T15:00:00Z");

    // Two a day: two automated calls go, the third does not.
    let (user, contact) = business(db, doc! { "callCaps": [{ "calls": 2, "days": 1 }] }).await;
    let two_a_day = automation(db, user, contact, "Check-in").await;
    for expected in [1, 2, 2] {
        let job = queued(
            db,
            user,
            contact,
            Some(two_a_day),
            "2026-11-30T15:00:00Z",
            0,
        )
        .await;
        dialer.dial_at(&job, 1, now).await.unwrap();
        assert_eq!(fake.calls().len(), expected);
    }

    // Caps off; and another business's calls never count toward these.
    let (user, contact) = business(db, doc! { "callCaps": [] }).await;
    let uncapped = automation(db, user, contact, "Check-in").await;
    for expected in [3, 4, 5] {
        let job = queued(db, user, contact, Some(uncapped), "2026-11-30T15:00:00Z", 0).await;
        dialer.dial_at(&job, 1, now).await.unwrap();
        assert_eq!(fake.calls().len(), expected);
    }
}

#[tokio::test]
async fn the_call_now_answer_says_when_the_cap_was_passed() {
    use axum::http::StatusCode;
    use heyway_tests::TestUser;
    use serde_json::json;

    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let (user, contact) = business(db, doc! {}).await;
    let owner = TestUser {
        id: user,
        token: app.state.tokens.issue(user).unwrap(),
    };
    let body = json!({ "contactId": contact.to_hex(), "allowConcurrent": true });

    let (status, first) = app.post("/api/calls", &owner, body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["frequencyCapPassed"], false, "{first}");
    let job = DialJob {
        scheduled_call_id: first["id"].as_str().unwrap().parse().unwrap(),
        user_id: user,
        scheduled_time: Utc::now(),
    };
    // Dialed within calling hours in the last day, whatever the test's
    // hour: 10:00 in New York today, or 20:00 yesterday when earlier.
    let new_york = chrono_tz::America::New_York;
    let today = Utc::now().with_timezone(&new_york).date_naive();
    let local = |day: chrono::NaiveDate, hour| {
        day.and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_local_timezone(new_york)
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut earlier = local(today, 10);
    if earlier > Utc::now() {
        earlier = local(today.pred_opt().unwrap(), 20);
    }
    dialer(db, &fake).dial_at(&job, 1, earlier).await.unwrap();
    assert_eq!(fake.calls().len(), 1);

    let (status, second) = app.post("/api/calls", &owner, body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    assert_eq!(second["frequencyCapPassed"], true, "{second}");
    // Listing it elsewhere carries no such field.
    let (_, listed) = app.get("/api/scheduled-calls", &owner).await;
    assert!(
        listed["items"][0].get("frequencyCapPassed").is_none(),
        "{listed}"
    );
}

#[tokio::test]
async fn the_owner_sets_the_caps_through_the_api() {
    use axum::http::StatusCode;
    use heyway::schedule::frequency_caps::{Cap, FrequencyCaps};
    use serde_json::json;

    let app = TestApp::new().await;
    let owner = app.user("Cap Setter").await;
    let (status, body) = app
        .patch(
            "/api/me",
            &owner,
            json!({ "preferences": { "callCaps": [{ "calls": 2, "days": 3 }] } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = app
        .db
        .raw("users")
        .find_one(doc! { "_id": owner.id })
        .await
        .unwrap()
        .unwrap();
    let caps = FrequencyCaps::from_preferences(stored.get_document("preferences").ok());
    assert_eq!(caps.0, [Cap { calls: 2, days: 3 }]);
}

/// Issue 16, part 2's gap: scheduling a manual call says whether it goes
/// past the caps at its time, as calling now does.
#[tokio::test]
async fn the_scheduled_call_answer_says_when_the_cap_would_be_passed() {
    use axum::http::StatusCode;
    use heyway_tests::TestUser;
    use serde_json::json;

    let app = TestApp::new().await;
    let db = &app.db;
    let fake = FakeTwilioApi::start().await;
    let (user, contact) = business(db, doc! {}).await;
    let owner = TestUser {
        id: user,
        token: app.state.tokens.issue(user).unwrap(),
    };
    let at = |from_now: chrono::Duration| {
        json!({
            "contactId": contact.to_hex(),
            "allowConcurrent": true,
            "scheduledTime": (Utc::now() + from_now).to_rfc3339(),
        })
    };
    let (status, first) = app
        .post(
            "/api/scheduled-calls",
            &owner,
            at(chrono::Duration::hours(1)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["frequencyCapPassed"], false, "{first}");

    // The number is called (within calling hours, in the last day).
    let (status, now) = app
        .post(
            "/api/calls",
            &owner,
            json!({ "contactId": contact.to_hex(), "allowConcurrent": true }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{now}");
    let job = DialJob {
        scheduled_call_id: now["id"].as_str().unwrap().parse().unwrap(),
        user_id: user,
        scheduled_time: Utc::now(),
    };
    let new_york = chrono_tz::America::New_York;
    let today = Utc::now().with_timezone(&new_york).date_naive();
    let local = |day: chrono::NaiveDate, hour| {
        day.and_hms_opt(hour, 0, 0)
            .unwrap()
            .and_local_timezone(new_york)
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut earlier = local(today, 10);
    if earlier > Utc::now() {
        earlier = local(today.pred_opt().unwrap(), 20);
    }
    dialer(db, &fake).dial_at(&job, 1, earlier).await.unwrap();
    assert_eq!(fake.calls().len(), 1);

    // Within a day of that call: past the 1-a-day cap, recorded anyway.
    let (status, soon) = app
        .post(
            "/api/scheduled-calls",
            &owner,
            at(chrono::Duration::hours(1)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{soon}");
    assert_eq!(soon["frequencyCapPassed"], true, "{soon}");
    assert_eq!(soon["status"], "pending", "{soon}");
    // Two days on, within both caps.
    let (status, later) = app
        .post(
            "/api/scheduled-calls",
            &owner,
            at(chrono::Duration::days(2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    assert_eq!(later["frequencyCapPassed"], false, "{later}");
}
