//! Callbacks after unanswered calls: recorded once, at the policy's time,
//! within quiet hours, up to the attempts allowed.

use chrono::{DateTime, Utc};
use heyway::features::scheduled_calls::schedule_callback;
use heyway::infra::store;
use heyway::model::ScheduledCall;
use heyway::schedule::CallOutcome;
use heyway::Db;
use heyway_tests::TestApp;
use mongodb::bson::{self, doc, oid::ObjectId, Bson};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn bdate(text: &str) -> bson::DateTime {
    bson::DateTime::from_chrono(at(text))
}

/// A contact, an automation calling at 18:00 New York with 30-minute
/// callbacks, and its first scheduled call (attempt 0), ended.
async fn ended_call(db: &Db, user: ObjectId, retry_count: i32, callback: bool) -> ScheduledCall {
    let contact = ObjectId::new();
    db.raw("contacts")
        .insert_one(doc! {
            "_id": contact, "userId": user, "name": "Callback Person", "phoneNumber": "+12125550181",
            "email": "", "groups": [], "tags": [], "metadata": { "purchaseDate": "2026-11-22" }, "isActive": true,
        })
        .await
        .unwrap();
    let automation = ObjectId::new();
    db.raw("automations")
        .insert_one(doc! {
            "_id": automation, "userId": user, "name": "Check-in", "description": "", "isActive": true,
            "timingMode": "after", "daysOffset": 7, "fixedDate": Bson::Null, "timeOfDay": "18:00",
            "timezone": "America/New_York", "referenceField": "metadata.purchaseDate",
            "enableCallback": callback, "callbackDelayMinutes": 30, "retryCount": 3, "contacts": [contact],
            "createdAt": bdate("2026-01-01T00:00:00Z"),
        })
        .await
        .unwrap();
    let due = at("2026-11-29T23:00:00Z").timestamp();
    let id = ObjectId::new();
    db.raw("scheduledcalls")
        .insert_one(doc! {
            "_id": id, "userId": user, "recipients": [{ "phoneNumber": "+12125550181", "name": "Callback Person", "contactId": contact }],
            "notes": "", "scheduledTime": bdate("2026-11-29T23:00:00Z"), "status": "processing", "retryCount": retry_count,
            "callMode": "ai-only", "automationId": automation, "referenceDate": Bson::Null, "contactData": {},
            "errorMessage": "", "contactId": contact,
            "dedupeKey": format!("{}:{}:{due}:{retry_count}", automation.to_hex(), contact.to_hex()),
        })
        .await
        .unwrap();
    store::find_by_id(db, id).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_unanswered_call_gets_one_callback_after_the_delay() {
    let app = TestApp::new().await;
    let user = app.user("Callback Owner").await.id;
    let ended = ended_call(&app.db, user, 0, true).await;
    let ended_at = at("2026-11-29T23:01:00Z");
    let callback = schedule_callback(&app.db, &ended, CallOutcome::NoAnswer, ended_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(callback.attempt, 1);
    assert_eq!(callback.scheduled_time, at("2026-11-29T23:31:00Z"));

    // The same status callback delivered again records nothing more.
    schedule_callback(&app.db, &ended, CallOutcome::NoAnswer, ended_at)
        .await
        .unwrap();
    let calls = app
        .db
        .raw("scheduledcalls")
        .count_documents(doc! { "retryCount": 1 })
        .await
        .unwrap();
    assert_eq!(calls, 1);
    let stored = app
        .db
        .raw("scheduledcalls")
        .find_one(doc! { "retryCount": 1 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get_str("status").unwrap(), "pending");
    assert_eq!(
        stored.get_datetime("scheduledTime").unwrap(),
        &bdate("2026-11-29T23:31:00Z")
    );
}

#[tokio::test]
async fn a_late_evening_callback_waits_for_the_morning() {
    let app = TestApp::new().await;
    let user = app.user("Callback Owner").await.id;
    let ended = ended_call(&app.db, user, 0, true).await;
    // Ends 20:45 New York; 30 minutes later is 21:15, past quiet hours.
    let callback = schedule_callback(
        &app.db,
        &ended,
        CallOutcome::Busy,
        at("2026-11-30T01:45:00Z"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        callback.scheduled_time,
        at("2026-11-30T13:00:00Z"),
        "08:00 the next morning"
    );
}

#[tokio::test]
async fn no_callback_when_answered_off_or_out_of_attempts() {
    let app = TestApp::new().await;
    let user = app.user("Callback Owner").await.id;
    let answered = ended_call(&app.db, user, 0, true).await;
    assert_eq!(
        schedule_callback(
            &app.db,
            &answered,
            CallOutcome::Answered,
            at("2026-11-29T23:05:00Z")
        )
        .await
        .unwrap(),
        None
    );
    let off = ended_call(&app.db, user, 0, false).await;
    assert_eq!(
        schedule_callback(
            &app.db,
            &off,
            CallOutcome::NoAnswer,
            at("2026-11-29T23:05:00Z")
        )
        .await
        .unwrap(),
        None
    );
    // Third attempt (retryCount 2) of 3 allowed: no fourth.
    let last = ended_call(&app.db, user, 2, true).await;
    assert_eq!(
        schedule_callback(
            &app.db,
            &last,
            CallOutcome::Voicemail,
            at("2026-11-29T23:05:00Z")
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        app.db
            .raw("scheduledcalls")
            .count_documents(doc! { "status": "pending" })
            .await
            .unwrap(),
        0
    );
}
