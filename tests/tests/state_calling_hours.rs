//! Issue 16 part 3: calling hours by the recipient's state, through the
//! API (the automation preview), the evaluator and the dialer's last
//! check: a strict state next to a federal-only one, the Sunday rules,
//! and the preview showing what the do-not-call registry and the
//! frequency caps will do.

use axum::http::StatusCode;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use heyway::features::dialer::{preflight, Refusal};
use heyway::features::evaluator::{run_pass, EvaluatorSettings};
use heyway::infra::queue::{DialQueue, InProcessQueue};
use heyway::infra::store;
use heyway::model::ScheduledCall;
use heyway::schedule::at_local;
use heyway::schedule::calling_hours::{self, Hours};
use heyway_tests::{TestApp, TestUser};
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use serde_json::{json, Value};

const NY: Tz = chrono_tz::America::New_York;
const CHICAGO: Tz = chrono_tz::America::Chicago;

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

/// An on-date automation calling `contacts` on `day` at `time` in `zone`.
async fn automation(
    app: &TestApp,
    user: &TestUser,
    day: NaiveDate,
    time: &str,
    zone: Tz,
    contacts: &[ObjectId],
) -> String {
    let contacts: Vec<String> = contacts.iter().map(|c| c.to_hex()).collect();
    let (status, created) = app
        .post(
            "/api/automations",
            user,
            json!({ "name": "State hours", "timingMode": "on_date",
                    "fixedDate": day.format("%Y-%m-%d").to_string(), "timeOfDay": time,
                    "timezone": zone.name(), "contacts": contacts }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_string()
}

async fn preview(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let (status, preview) = app
        .get(&format!("/api/automations/{id}/preview"), user)
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    preview
}

/// The previewed call to `contact`.
fn previewed(preview: &Value, contact: ObjectId) -> &Value {
    preview["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|call| call["contactId"] == contact.to_hex())
        .unwrap_or_else(|| panic!("no call to {contact}: {preview}"))
}

fn call_at(call: &Value) -> DateTime<Utc> {
    call["callAt"].as_str().unwrap().parse().unwrap()
}

fn local(day: NaiveDate, h: u32, m: u32, zone: Tz) -> DateTime<Utc> {
    at_local(day, NaiveTime::from_hms_opt(h, m, 0).unwrap(), zone)
}

fn today(zone: Tz) -> NaiveDate {
    Utc::now().with_timezone(&zone).date_naive()
}

/// Runs an evaluator pass at `at`; the scheduled times it recorded, by
/// contact.
async fn evaluate(
    app: &TestApp,
    automation: &str,
    at: DateTime<Utc>,
) -> Vec<(ObjectId, DateTime<Utc>)> {
    let (queue, _jobs) = InProcessQueue::new();
    run_pass(
        &app.db,
        &DialQueue::InProcess(queue),
        at,
        EvaluatorSettings::default(),
    )
    .await
    .unwrap();
    let id: ObjectId = automation.parse().unwrap();
    let mut cursor = app
        .db
        .raw("scheduledcalls")
        .find(doc! { "automationId": id })
        .await
        .unwrap();
    let mut found = Vec::new();
    while cursor.advance().await.unwrap() {
        let call = cursor.deserialize_current().unwrap();
        found.push((
            call.get_object_id("contactId").unwrap(),
            call.get_datetime("scheduledTime").unwrap().to_chrono(),
        ));
    }
    found.sort();
    found
}

#[tokio::test]
async fn florida_waits_for_morning_while_new_york_is_called_at_half_past_eight() {
    let app = TestApp::new().await;
    let user = app.user("Evening Owner").await;
    let florida = contact(&app, user.id, "Sunny Palm", "+13055550123", doc! {}).await;
    let new_york = contact(&app, user.id, "Empire Reed", "+12125550123", doc! {}).await;
    // A New York number whose imported address is in Florida.
    let moved = contact(
        &app,
        user.id,
        "Moved South",
        "+12125550124",
        doc! { "State": "FL" },
    )
    .await;
    let day = today(NY) + Duration::days(3);
    let id = automation(&app, &user, day, "20:30", NY, &[florida, new_york, moved]).await;

    let preview = preview(&app, &user, &id).await;
    let evening = local(day, 20, 30, NY);
    let morning = local(day + Duration::days(1), 8, 0, NY);
    let ny_call = previewed(&preview, new_york);
    assert_eq!(call_at(ny_call), evening, "{ny_call}");
    assert_eq!(ny_call["state"], "NY");
    assert_eq!(ny_call["restrictions"], json!([]));
    for contact in [florida, moved] {
        let call = previewed(&preview, contact);
        assert_eq!(call_at(call), morning, "{call}");
        assert_eq!(call["state"], "FL", "{call}");
        assert_eq!(call["restrictions"], json!(["state_hours"]), "{call}");
        assert!(
            call["localTime"].as_str().unwrap().contains("T08:00:00"),
            "{call}"
        );
    }

    // The evaluator records the same times: New York at 20:30, then Florida
    // the next morning.
    let first = evaluate(&app, &id, evening + Duration::seconds(30)).await;
    assert_eq!(first, vec![(new_york, evening)]);
    let second = evaluate(&app, &id, morning + Duration::seconds(30)).await;
    let mut expected = vec![(florida, morning), (new_york, evening), (moved, morning)];
    expected.sort();
    assert_eq!(second, expected);
}

#[tokio::test]
async fn sunday_rules_texas_from_noon_louisiana_not_at_all() {
    let app = TestApp::new().await;
    let user = app.user("Sunday Owner").await;
    // A Sunday at least two days ahead whose Monday Louisiana allows.
    let louisiana_rule = calling_hours::for_state("LA").unwrap();
    let mut sunday = today(CHICAGO) + Duration::days(2);
    while sunday.weekday() != Weekday::Sun
        || louisiana_rule.hours_on(sunday + Duration::days(1)) == Hours::Closed
    {
        sunday += Duration::days(1);
    }
    let texas = contact(&app, user.id, "Lone Star", "+17135550123", doc! {}).await;
    let louisiana = contact(&app, user.id, "Bayou Belle", "+15045550123", doc! {}).await;
    let illinois = contact(&app, user.id, "Prairie Wind", "+13125550123", doc! {}).await;
    let id = automation(
        &app,
        &user,
        sunday,
        "10:00",
        CHICAGO,
        &[texas, louisiana, illinois],
    )
    .await;

    let preview = preview(&app, &user, &id).await;
    let ten = local(sunday, 10, 0, CHICAGO);
    let noon = local(sunday, 12, 0, CHICAGO);
    let monday = local(sunday + Duration::days(1), 8, 0, CHICAGO);
    assert_eq!(call_at(previewed(&preview, illinois)), ten, "{preview}");
    assert_eq!(call_at(previewed(&preview, texas)), noon, "{preview}");
    assert_eq!(call_at(previewed(&preview, louisiana)), monday, "{preview}");
    assert_eq!(previewed(&preview, illinois)["restrictions"], json!([]));
    assert_eq!(previewed(&preview, louisiana)["state"], "LA");

    // The evaluator agrees, pass by pass.
    assert_eq!(
        evaluate(&app, &id, ten + Duration::seconds(30)).await,
        vec![(illinois, ten)]
    );
    assert_eq!(
        evaluate(&app, &id, noon + Duration::seconds(30))
            .await
            .len(),
        2
    );
    let all = evaluate(&app, &id, monday + Duration::seconds(30)).await;
    let mut expected = vec![(illinois, ten), (texas, noon), (louisiana, monday)];
    expected.sort();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn the_preview_shows_do_not_call_and_frequency_caps() {
    let app = TestApp::new().await;
    let user = app.user("Careful Owner").await;
    let listed = contact(&app, user.id, "Please Stop", "+12125550131", doc! {}).await;
    let recent = contact(&app, user.id, "Called Yesterday", "+12125550132", doc! {}).await;
    let this_morning = contact(&app, user.id, "Called Today", "+12125550133", doc! {}).await;
    let free = contact(&app, user.id, "Not Called", "+12125550134", doc! {}).await;
    let (status, body) = app
        .post(
            "/api/do-not-call",
            &user,
            json!({ "phoneNumber": "+12125550131" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let day = today(NY) + Duration::days(3);
    let due = local(day, 10, 0, NY);
    // Default caps, 1 a day: a call 23 hours before frees the number an
    // hour after `due` (deferred); one an hour before holds it until the
    // next day, past the 3-hour lateness (skipped).
    for (number, at) in [
        ("+12125550132", due - Duration::hours(23)),
        ("+12125550133", due - Duration::hours(1)),
    ] {
        app.db
            .raw("recipientcalls")
            .insert_one(doc! {
                "_id": format!("{}:{number}", user.id.to_hex()),
                "calls": [{ "at": bson::DateTime::from_chrono(at), "scheduledCallId": ObjectId::new() }],
                "version": 1_i64,
            })
            .await
            .unwrap();
    }
    let id = automation(
        &app,
        &user,
        day,
        "10:00",
        NY,
        &[listed, recent, this_morning, free],
    )
    .await;

    let preview = preview(&app, &user, &id).await;
    let calls = preview["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{preview}");
    assert_eq!(call_at(previewed(&preview, free)), due);
    let deferred = previewed(&preview, recent);
    assert_eq!(call_at(deferred), due + Duration::hours(1), "{deferred}");
    assert_eq!(deferred["restrictions"], json!(["frequency_cap"]));
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
        (listed.to_hex(), "do_not_call".to_string()),
        (this_morning.to_hex(), "frequency_cap".to_string()),
    ];
    expected.sort();
    assert_eq!(skipped, expected);

    // Caps off: both called on time; the registry still holds.
    app.db
        .raw("users")
        .update_one(
            doc! { "_id": user.id },
            doc! { "$set": { "preferences.callCaps": [] } },
        )
        .await
        .unwrap();
    let preview = self::preview(&app, &user, &id).await;
    assert_eq!(preview["calls"].as_array().unwrap().len(), 3, "{preview}");
    assert_eq!(call_at(previewed(&preview, this_morning)), due);
    assert_eq!(preview["skipped"].as_array().unwrap().len(), 1, "{preview}");
}

/// The dialer's last check: a queued call to a Florida number at 20:30
/// is deferred to 08:00, one to New York at the same instant is placed.
#[tokio::test]
async fn the_dialer_defers_a_florida_call_at_half_past_eight() {
    let app = TestApp::new().await;
    let db = &app.db;
    let user = ObjectId::new();
    db.raw("users")
        .insert_one(doc! {
            "_id": user, "name": "Dial Owner", "email": "dial.owner@example.test",
            "timezone": "America/New_York", "preferredCallerID": "+12125550199",
            "freeMinutes": 5, "freeCalls": 0, "hasActiveSubscription": false, "__v": 0,
        })
        .await
        .unwrap();
    db.raw("verifiedNumbers")
        .insert_one(doc! { "_id": ObjectId::new(), "userId": user, "phoneNumber": "+12125550199", "verified": true, "__v": 0 })
        .await
        .unwrap();
    // Tuesday 2026-12-08, 20:30 Eastern.
    let evening: DateTime<Utc> = "2026-12-09T01:30:00Z".parse().unwrap();
    let morning: DateTime<Utc> = "2026-12-09T13:00:00Z".parse().unwrap();
    let manual = |number: &str| -> ScheduledCall {
        store::decode(doc! {
            "_id": ObjectId::new(), "userId": user, "status": "processing", "callMode": "ai",
            "recipients": [{ "phoneNumber": number, "name": "Walk In" }],
        })
        .unwrap()
    };
    match preflight(db, &manual("+13055550140"), evening)
        .await
        .unwrap()
    {
        Err(refusal) => assert_eq!(refusal, Refusal::TooEarlyOrLate { retry_at: morning }),
        Ok(ready) => panic!("placed at 20:30 in Florida: {ready:?}"),
    }
    assert!(
        preflight(db, &manual("+12125550140"), evening)
            .await
            .unwrap()
            .is_ok(),
        "New York at 20:30 is within the federal hours"
    );
    // At 08:00 the Florida call goes.
    assert!(preflight(db, &manual("+13055550140"), morning)
        .await
        .unwrap()
        .is_ok());
}
